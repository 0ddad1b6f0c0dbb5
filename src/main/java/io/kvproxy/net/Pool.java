package io.kvproxy.net;

import io.kvproxy.route.Topology;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProxyView;
import io.kvproxy.stats.WorkerCounters;
import java.nio.channels.ServerSocketChannel;
import java.util.List;

/**
 * One pool as the workers serve it: its listener, the protocol its clients speak, the clusters its keys
 * are routed on, and what its clients are told about it. Every worker accepts from every pool's listener;
 * a client belongs to the pool it connected to for life.
 *
 * @param index the pool's place in {@link WorkerContext#pools()}
 * @param name the pool's section name, for logs and reports
 * @param listener the non-blocking listening socket, registered with every worker's selector
 * @param counters each worker's counters for this pool, by worker index, already known to {@code view}
 */
public record Pool(int index, String name, ServerSocketChannel listener, Protocol protocol, Topology topology,
                   ProxyView view, List<WorkerCounters> counters) {

    public Pool {
        counters = List.copyOf(counters);
    }
}
