package io.kvproxy.spi;

/** Why a backend request got no reply. The protocol renders it to its client in its own words. */
public enum BackendFailure {
    /** Not answered within {@code recv_timeout}. */
    TIMEOUT,
    /** Refused or failed connect, closed connection, or unparseable reply. */
    UNAVAILABLE
}
