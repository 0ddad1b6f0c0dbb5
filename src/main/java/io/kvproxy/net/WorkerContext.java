package io.kvproxy.net;

import java.util.List;

/**
 * What every worker shares: the pools, the limits. All of it is immutable or thread-safe.
 *
 * @param pools every pool, by {@link Pool#index()}
 * @param idleTimeoutNanos close clients idle this long; 0 never
 * @param maxRetryNanos the longest wait between reconnect attempts to a down backend
 * @param asyncLimitPerWorker each worker's share of {@code async_size}
 * @param workerCount how many workers share this context
 */
public record WorkerContext(
        List<Pool> pools,
        ClientSlots clientSlots,
        Clock clock,
        CpuAffinity affinity,
        long recvTimeoutNanos,
        long connectTimeoutNanos,
        long maxRetryNanos,
        long idleTimeoutNanos,
        int maxPacketBytes,
        int asyncLimitPerWorker,
        int workerCount) {

    public WorkerContext {
        pools = List.copyOf(pools);
    }
}
