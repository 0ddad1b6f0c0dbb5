package io.kvproxy.stats;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.CommandKind;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One pool's {@link BackendTimings}, by server address and worker: where each worker's backend connection
 * finds the record it writes, and where reports merge them. A server a reload removes keeps its record,
 * so one that comes back continues its counts as Prometheus expects of a counter.
 *
 * <p>Threads: {@link #forWorker} is called when a worker creates a backend connection (never per
 * request); the readers from any thread.
 */
public final class ServerTimings {

    private final int workers;
    private final ConcurrentMap<String, BackendTimings[]> byAddress = new ConcurrentHashMap<>();

    public ServerTimings(int workers) {
        this.workers = workers;
    }

    /** The record worker {@code worker} writes for server {@code address}. */
    public BackendTimings forWorker(String address, int worker) {
        return timings(address)[worker];
    }

    /** The latencies of {@code kind} requests to {@code address}, over every worker. */
    public LatencySnapshot latency(String address, CommandKind kind) {
        LatencySnapshot snapshot = new LatencySnapshot();
        addLatency(address, kind, snapshot);
        return snapshot;
    }

    /** Adds the latencies of {@code kind} requests to {@code address}, over every worker, into {@code snapshot}. */
    public void addLatency(String address, CommandKind kind, LatencySnapshot snapshot) {
        BackendTimings[] timings = byAddress.get(address);
        if (timings != null) {
            for (BackendTimings worker : timings) {
                snapshot.add(worker.latency(kind));
            }
        }
    }

    /** How many {@code kind} requests to {@code address} failed with {@code failure}, over every worker. */
    public long failures(String address, CommandKind kind, BackendFailure failure) {
        long sum = 0;
        BackendTimings[] timings = byAddress.get(address);
        if (timings != null) {
            for (BackendTimings worker : timings) {
                sum += worker.failures(kind, failure);
            }
        }
        return sum;
    }

    private BackendTimings[] timings(String address) {
        return byAddress.computeIfAbsent(address, unused -> {
            BackendTimings[] timings = new BackendTimings[workers];
            for (int i = 0; i < workers; i++) {
                timings[i] = new BackendTimings();
            }
            return timings;
        });
    }
}
