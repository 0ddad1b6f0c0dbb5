package io.kvproxy.spi;

/**
 * What a backend request does, as far as monitoring tells requests apart: the {@code command} label of the
 * per-server metrics and the kind in the {@code stats} latency names. A protocol maps its own commands
 * here ({@link PendingReply#commandKind}); the proxy never looks at a request's bytes.
 */
public enum CommandKind {
    /** Retrievals: get, gets, gat, gats, mg. */
    GET("get"),
    /** Storage: set, add, replace, append, prepend, cas, ms. */
    SET("set"),
    DELETE("delete"),
    /** incr, decr, ma. */
    ARITHMETIC("arithmetic"),
    TOUCH("touch"),
    /** Everything else sent to a server: flush_all, stats, version, replicas, probes, repair deletes. */
    OTHER("other");

    private final String label;

    CommandKind(String label) {
        this.label = label;
    }

    /** The name the metrics use: a Prometheus label value and a part of a {@code stats} name. */
    public String label() {
        return label;
    }
}
