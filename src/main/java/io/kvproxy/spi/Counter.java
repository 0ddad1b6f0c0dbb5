package io.kvproxy.spi;

/**
 * Counters a protocol reports through {@link ClientChannel#count}. Named as memcached's {@code stats}
 * names them, since that is where users read them.
 */
public enum Counter {
    /** Requests parsed successfully: the {@code status} report's "processed requests". */
    REQUESTS("cmd_total"),
    CMD_GET("cmd_get"),
    CMD_SET("cmd_set"),
    CMD_TOUCH("cmd_touch"),
    CMD_FLUSH("cmd_flush"),
    GET_HITS("get_hits"),
    GET_MISSES("get_misses"),
    /** Keys of a multi-get answered as misses because their server failed. */
    GET_FAILED_KEYS("get_failed_keys"),
    /** Malformed requests answered with an error. */
    CLIENT_ERRORS("client_errors"),
    /** Connections closed because a request line was HTTP (a browser or an HTTP client on the port), as memcached does. */
    HTTP_REFUSED("http_refused"),
    /** Error replies the proxy made because a backend timed out or was unavailable. */
    BACKEND_ERRORS("backend_errors"),
    /**
     * Writes the master accepted that are to be replicated. Always equal to {@link #REPLICATED} + {@link
     * #REPLICATION_DROPPED} + {@link #REPLICATION_FAILED} + {@link #REPLICATION_IN_FLIGHT}.
     */
    REPLICATION_ACCEPTED("replication_accepted"),
    /** Replicas the backup applied. */
    REPLICATED("replicated"),
    /** Asynchronous replicas not sent because the worker's share of {@code async_size} was full. */
    REPLICATION_DROPPED("replication_dropped"),
    /** Replicas the backup rejected, did not answer in time, or could not be sent to (its server out). */
    REPLICATION_FAILED("replication_failed"),
    /** Replicas sent and not yet answered (a gauge: added to and taken from). */
    REPLICATION_IN_FLIGHT("replication_in_flight"),
    /** Writes of an out master server's keys taken by a stand-in server (and recorded for repair). */
    STAND_IN_WRITES("stand_in_writes"),
    /** Writes refused because their owner was out and the stand-in write could not be recorded. */
    STAND_IN_REFUSED("stand_in_refused"),
    /** Repair deletes (and flushes) sent to servers that may hold stale copies, and answered. */
    REPAIRS("repairs"),
    /** Synchronous writes answered "backup write failed". */
    SYNC_FAILED("sync_failed");

    private final String statName;

    Counter(String statName) {
        this.statName = statName;
    }

    /** The name {@code stats} shows. */
    public String statName() {
        return statName;
    }
}
