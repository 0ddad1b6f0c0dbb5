package io.kvproxy.spi;

/**
 * The core's own counters, which mean the same whatever the protocol, reported through {@link
 * ClientChannel#count}; a protocol adds its own by name ({@link ProtocolCounter}). They carry a {@code
 * kvproxy_} prefix, so that no client takes them for a figure of the server's, and {@code stats reset}
 * leaves them alone: they are the proxy's accounting (replication adds up from start to stop) and the
 * {@code status} report's.
 */
public enum Counter {
    /** Requests parsed successfully: the {@code status} report's "processed requests". */
    REQUESTS("kvproxy_cmd_total"),
    /** Keys of a multi-key read answered as misses because their server failed. */
    GET_FAILED_KEYS("kvproxy_get_failed_keys"),
    /** Malformed requests answered with an error. */
    CLIENT_ERRORS("kvproxy_client_errors"),
    /** Error replies the proxy made because a backend timed out or was unavailable. */
    BACKEND_ERRORS("kvproxy_backend_errors"),
    /**
     * Writes the master accepted that are to be replicated. Always equal to {@link #REPLICATED} + {@link
     * #REPLICATION_DROPPED} + {@link #REPLICATION_FAILED} + {@link #REPLICATION_IN_FLIGHT}.
     */
    REPLICATION_ACCEPTED("kvproxy_replication_accepted"),
    /** Replicas the backup applied. */
    REPLICATED("kvproxy_replicated"),
    /** Asynchronous replicas not sent because the worker's share of {@code async_size} was full. */
    REPLICATION_DROPPED("kvproxy_replication_dropped"),
    /** Replicas the backup rejected, did not answer in time, or could not be sent to (its server out). */
    REPLICATION_FAILED("kvproxy_replication_failed"),
    /** Replicas sent and not yet answered (a gauge: added to and taken from). */
    REPLICATION_IN_FLIGHT("kvproxy_replication_in_flight"),
    /** Writes of an out master server's keys taken by a stand-in server (and recorded for repair). */
    STAND_IN_WRITES("kvproxy_stand_in_writes"),
    /** Writes refused because their owner was out and the stand-in write could not be recorded. */
    STAND_IN_REFUSED("kvproxy_stand_in_refused"),
    /** Repair deletes (and flushes) sent to servers that may hold stale copies, and answered. */
    REPAIRS("kvproxy_repairs"),
    /** Synchronous writes the client was told failed on the backup. */
    SYNC_FAILED("kvproxy_sync_failed"),
    /** Per-server requests a multi-key request was split into (twemproxy's {@code fragments}). */
    FRAGMENTS("kvproxy_fragments");

    private final String statName;

    Counter(String statName) {
        this.statName = statName;
    }

    /** The name {@code stats} shows. */
    public String statName() {
        return statName;
    }
}
