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
    /** Error replies the proxy made because a backend timed out or was unavailable. */
    BACKEND_ERRORS("backend_errors"),
    /** Writes sent to the backup cluster. */
    REPLICATED("replicated"),
    /** Asynchronous replica writes sent and not yet answered (a gauge: added to and taken from). */
    ASYNC_QUEUED("async_queue_size"),
    /** Asynchronous replica writes not sent because the worker's share of {@code async_size} was full. */
    ASYNC_DROPPED("async_dropped"),
    /** Asynchronous replica writes the backup rejected, did not answer in time, or could not be sent to. */
    ASYNC_FAILED("async_failed"),
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
