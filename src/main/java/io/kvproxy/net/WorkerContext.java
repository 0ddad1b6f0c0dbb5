package io.kvproxy.net;

import io.kvproxy.route.Topology;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProxyView;
import java.nio.channels.ServerSocketChannel;

/**
 * What every worker shares: the listener, the protocol, the topology, the limits. All of it is immutable
 * or thread-safe.
 *
 * @param listener the non-blocking listening socket all workers accept from
 * @param idleTimeoutNanos close clients idle this long; 0 never
 * @param maxRetryNanos the longest wait between reconnect attempts to a down backend
 * @param asyncLimitPerWorker each worker's share of {@code async_size}
 * @param workerCount how many workers share this context
 */
public record WorkerContext(
        ServerSocketChannel listener,
        Protocol protocol,
        Topology topology,
        ProxyView proxyView,
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
}
