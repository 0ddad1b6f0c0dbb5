package io.kvproxy.stats;

import io.kvproxy.route.Topology;
import io.kvproxy.spi.CommandKind;
import io.kvproxy.spi.ProxyView.StatSink;

/**
 * The latency lines of a pool's {@code stats}: p50, p99 and p999 in microseconds of the replies of its
 * servers, over all of them and by command kind, then for each server. Merges every worker's histograms
 * at each call; any thread.
 */
final class LatencyStats {

    /** The quantiles reported, and the suffix each has in a stat name. */
    static final double[] QUANTILES = {0.5, 0.99, 0.999};
    static final String[] QUANTILE_NAMES = {"p50", "p99", "p999"};

    private LatencyStats() {
    }

    static void forEachStat(Topology topology, ServerTimings timings, StatSink sink) {
        LatencySnapshot all = new LatencySnapshot();
        LatencySnapshot[] byKind = new LatencySnapshot[CommandKind.values().length];
        for (CommandKind kind : CommandKind.values()) {
            byKind[kind.ordinal()] = new LatencySnapshot();
        }
        LatencySnapshot[] byServer = new LatencySnapshot[topology.serverCount()];
        for (int i = 0; i < topology.serverCount(); i++) {
            if (!topology.contains(i)) {
                continue;
            }
            byServer[i] = new LatencySnapshot();
            for (CommandKind kind : CommandKind.values()) {
                timings.addLatency(topology.health(i).address(), kind, byServer[i]);
                timings.addLatency(topology.health(i).address(), kind, byKind[kind.ordinal()]);
            }
            all.add(byServer[i]);
        }
        quantiles("kvproxy_latency_", all, sink);
        for (CommandKind kind : CommandKind.values()) {
            quantiles("kvproxy_latency_" + kind.label() + "_", byKind[kind.ordinal()], sink);
        }
        for (int i = 0; i < byServer.length; i++) {
            if (byServer[i] != null) {
                quantiles("kvproxy_server_" + topology.health(i).address() + "_latency_", byServer[i], sink);
            }
        }
    }

    private static void quantiles(String prefix, LatencySnapshot snapshot, StatSink sink) {
        for (int q = 0; q < QUANTILES.length; q++) {
            sink.stat(prefix + QUANTILE_NAMES[q] + "_us", Long.toString(snapshot.percentileMicros(QUANTILES[q])));
        }
    }
}
