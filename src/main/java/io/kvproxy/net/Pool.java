package io.kvproxy.net;

import io.kvproxy.route.Topology;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProxyView;
import io.kvproxy.stats.ServerTimings;
import io.kvproxy.stats.ServerCounters;
import io.kvproxy.stats.WorkerCounters;
import java.nio.channels.ServerSocketChannel;
import java.util.List;

/**
 * One pool as the workers serve it: its listener, the protocol its clients speak, the clusters its keys
 * are routed on, and what its clients are told about it. Every worker accepts from every pool's listener;
 * a client belongs to the pool it connected to for life.
 *
 * <p>The topology is replaced by a reload, on the control thread, and then handed to every worker
 * ({@link PoolLane#adopt}); readers on other threads (reports, the health monitor) see it through
 * {@link #topology()}.
 */
public final class Pool {

    private final int index;
    private final String name;
    private final ServerSocketChannel listener;
    private final Protocol protocol;
    private final ProxyView view;
    private final List<WorkerCounters> counters;
    private final ServerTimings timings;
    private final List<ServerCounters> serverCounters;
    private volatile Topology topology;

    /**
     * @param index the pool's place in {@link WorkerContext#pools()}
     * @param name the pool's section name, for logs and reports
     * @param listener the non-blocking listening socket, registered with every worker's selector
     * @param counters each worker's counters for this pool, by worker index, already known to {@code view}
     * @param timings the latencies and failures of the pool's servers, where each worker's backend
     *     connections record theirs
     * @param serverCounters each worker's per-server and client counters for this pool, by worker index
     */
    public Pool(int index, String name, ServerSocketChannel listener, Protocol protocol, Topology topology, ProxyView view,
                List<WorkerCounters> counters, ServerTimings timings, List<ServerCounters> serverCounters) {
        this.index = index;
        this.name = name;
        this.listener = listener;
        this.protocol = protocol;
        this.topology = topology;
        this.view = view;
        this.counters = List.copyOf(counters);
        this.timings = timings;
        this.serverCounters = List.copyOf(serverCounters);
    }

    public int index() {
        return index;
    }

    public String name() {
        return name;
    }

    public ServerSocketChannel listener() {
        return listener;
    }

    public Protocol protocol() {
        return protocol;
    }

    public Topology topology() {
        return topology;
    }

    /** The control thread publishes a reload's topology; the workers adopt it each in turn. */
    public void publish(Topology next) {
        topology = next;
    }

    public ProxyView view() {
        return view;
    }

    public List<WorkerCounters> counters() {
        return counters;
    }

    public ServerTimings timings() {
        return timings;
    }

    public List<ServerCounters> serverCounters() {
        return serverCounters;
    }
}
