package io.kvproxy.spi;

/** The cluster a request is routed on. */
public enum ClusterRole {
    /** {@code hosts}: every write, CAS and {@code gets}; reads too when there is no read cluster. */
    MASTER,
    /** {@code hosts_read}: plain reads; falls back to {@link #MASTER} when none of its servers is in. */
    READ,
    /** {@code hosts_backup}: replicated writes. */
    BACKUP
}
