package io.kvproxy.net;

import java.util.List;

/**
 * What every worker shares: the pools, the limits. All of it is immutable or thread-safe.
 *
 * @param pools every pool, by {@link Pool#index()}
 * @param live the timeouts and limits at start (each worker then keeps its own, which a reload replaces)
 * @param workerCount how many workers share this context
 */
public record WorkerContext(
        List<Pool> pools,
        ClientSlots clientSlots,
        Clock clock,
        CpuAffinity affinity,
        LiveSettings live,
        int maxPacketBytes,
        int workerCount) {

    public WorkerContext {
        pools = List.copyOf(pools);
    }
}
