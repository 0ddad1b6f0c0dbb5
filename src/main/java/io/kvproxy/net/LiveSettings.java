package io.kvproxy.net;

/**
 * The settings a worker applies to its connections that a reload may change. A worker holds its own
 * copy, replaced on its thread ({@link Worker#applySettings}); each connection takes the new values at
 * once, for the requests it sends from then on.
 *
 * @param idleTimeoutNanos close clients idle this long; 0 never
 * @param maxRetryNanos the longest wait between reconnect attempts to a down backend
 * @param asyncLimitPerWorker each worker's share of {@code async_size}
 */
public record LiveSettings(long recvTimeoutNanos, long connectTimeoutNanos, long maxRetryNanos, long idleTimeoutNanos,
                           int asyncLimitPerWorker) {
}
