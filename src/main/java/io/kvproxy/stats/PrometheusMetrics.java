package io.kvproxy.stats;

import io.kvproxy.route.Topology;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.CommandKind;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.ProtocolCounter;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The proxy's state as Prometheus metrics, taken afresh at each scrape from the same counters and
 * histograms as {@code stats} and {@code status}: the Prometheus client's data model, so its text format
 * writer does the escaping and layout. README "Monitoring" lists every metric. Any thread; one scrape
 * merges every worker's histograms once.
 */
public final class PrometheusMetrics {

    /** Upper bounds of the {@code _bucket} series, in seconds: 100 µs to 10 s, then {@code +Inf}. */
    private static final double[] BOUNDS_SECONDS = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
        Double.POSITIVE_INFINITY};
    private static final CommandKind[] KINDS = CommandKind.values();
    private static final BackendFailure[] FAILURES = BackendFailure.values();

    private final Supplier<List<ProxyState>> pools;
    private final LongSupplier clientConnections;
    private final LongSupplier acceptedConnections;
    private final LongSupplier refusedConnections;

    /**
     * @param pools the pools being served now (a reload may add or remove some)
     * @param clientConnections client connections open now, over every pool
     */
    public PrometheusMetrics(Supplier<List<ProxyState>> pools, LongSupplier clientConnections, LongSupplier acceptedConnections,
                             LongSupplier refusedConnections) {
        this.pools = pools;
        this.clientConnections = clientConnections;
        this.acceptedConnections = acceptedConnections;
        this.refusedConnections = refusedConnections;
    }

    /** Every metric, as of now. */
    public MetricSnapshots collect() {
        List<ProxyState> states = pools.get();
        MetricSnapshots.Builder all = MetricSnapshots.builder();
        all.metricSnapshot(GaugeSnapshot.builder().name("kvproxy_client_connections").help("Client connections open now, over every pool")
                .dataPoint(GaugeDataPointSnapshot.builder().value(clientConnections.getAsLong()).build()).build());
        all.metricSnapshot(counter("kvproxy_client_connections_accepted", "Client connections accepted since start", acceptedConnections.getAsLong()));
        all.metricSnapshot(counter("kvproxy_client_connections_refused", "Client connections refused at max_clients since start",
                refusedConnections.getAsLong()));
        all.metricSnapshot(poolCounter(states, Counter.REQUESTS, "kvproxy_requests", "Client requests parsed"));
        all.metricSnapshot(poolCounter(states, Counter.CLIENT_ERRORS, "kvproxy_client_errors", "Malformed client requests answered with an error"));
        all.metricSnapshot(poolCounter(states, Counter.BACKEND_ERRORS, "kvproxy_backend_error_replies",
                "Error replies the proxy made because a server timed out or was unavailable"));
        GaugeSnapshot.Builder queue = GaugeSnapshot.builder().name("kvproxy_replication_queue")
                .help("Replicas sent to the backup cluster and not yet answered");
        for (ProxyState state : states) {
            queue.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("pool", state.pool()))
                    .value(state.total(Counter.REPLICATION_IN_FLIGHT)).build());
        }
        all.metricSnapshot(queue.build());
        all.metricSnapshot(poolCounter(states, Counter.REPLICATION_ACCEPTED, "kvproxy_replication_accepted", "Writes accepted for replication"));
        all.metricSnapshot(poolCounter(states, Counter.REPLICATED, "kvproxy_replicated", "Replicas the backup applied"));
        all.metricSnapshot(poolCounter(states, Counter.REPLICATION_DROPPED, "kvproxy_replication_dropped",
                "Asynchronous replicas not sent because the queue (async_size) was full"));
        all.metricSnapshot(poolCounter(states, Counter.REPLICATION_FAILED, "kvproxy_replication_failed",
                "Replicas the backup rejected, did not answer in time, or could not be sent to"));
        all.metricSnapshot(poolCounter(states, Counter.SYNC_FAILED, "kvproxy_replication_sync_failed",
                "Synchronous writes answered \"backup write failed\""));
        protocolMetrics(states, all);
        serverMetrics(states, all);
        return all.build();
    }

    /** Each protocol's own counters, one family per name; pools of the same protocol are its data points. */
    private static void protocolMetrics(List<ProxyState> states, MetricSnapshots.Builder all) {
        Map<String, CounterSnapshot.Builder> families = new LinkedHashMap<>();
        for (ProxyState state : states) {
            for (ProtocolCounter counter : state.protocolCounters()) {
                families.computeIfAbsent(counter.proxyName(), name -> CounterSnapshot.builder().name(name).help(counter.help()))
                        .dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("pool", state.pool())).value(state.total(counter)).build());
            }
        }
        families.values().forEach(family -> all.metricSnapshot(family.build()));
    }

    private void serverMetrics(List<ProxyState> states, MetricSnapshots.Builder all) {
        CounterSnapshot.Builder ejections = CounterSnapshot.builder().name("kvproxy_server_ejections")
                .help("Times the server was taken out of the pool's rings");
        GaugeSnapshot.Builder inRing = GaugeSnapshot.builder().name("kvproxy_server_in_ring").help("1 while the server is in the pool's rings, else 0");
        CounterSnapshot.Builder requests = CounterSnapshot.builder().name("kvproxy_server_requests")
                .help("Requests sent to the server, answered or not");
        CounterSnapshot.Builder errors = CounterSnapshot.builder().name("kvproxy_server_errors")
                .help("Requests to the server that got no reply, by reason");
        HistogramSnapshot.Builder durations = HistogramSnapshot.builder().name("kvproxy_server_request_duration_seconds")
                .help("Time from a request's enqueueing on its server connection to its reply");
        SummarySnapshot.Builder quantiles = SummarySnapshot.builder().name("kvproxy_server_latency_seconds")
                .help("p50, p99 and p999 of the server's reply latency since start (the histogram's, to 6.25%)");
        for (ProxyState state : states) {
            Topology topology = state.topology();
            for (int i = 0; i < topology.serverCount(); i++) {
                if (!topology.contains(i)) {
                    continue;
                }
                String address = topology.health(i).address();
                Labels server = Labels.of("pool", state.pool(), "server", address);
                ejections.dataPoint(CounterDataPointSnapshot.builder().labels(server).value(topology.health(i).ejections()).build());
                inRing.dataPoint(GaugeDataPointSnapshot.builder().labels(server).value(topology.health(i).isOnline() ? 1 : 0).build());
                for (CommandKind kind : KINDS) {
                    Labels labels = server.add("command", kind.label());
                    LatencySnapshot latency = state.timings().latency(address, kind);
                    long failed = 0;
                    for (BackendFailure failure : FAILURES) {
                        long count = state.timings().failures(address, kind, failure);
                        failed += count;
                        errors.dataPoint(CounterDataPointSnapshot.builder().labels(labels.add("reason", failure.name().toLowerCase(Locale.ROOT)))
                                .value(count).build());
                    }
                    requests.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(latency.count() + failed).build());
                    durations.dataPoint(histogram(labels, latency));
                    quantiles.dataPoint(summary(labels, latency));
                }
            }
        }
        all.metricSnapshot(ejections.build());
        all.metricSnapshot(inRing.build());
        all.metricSnapshot(requests.build());
        all.metricSnapshot(errors.build());
        all.metricSnapshot(durations.build());
        all.metricSnapshot(quantiles.build());
    }

    private static HistogramDataPointSnapshot histogram(Labels labels, LatencySnapshot latency) {
        long[] counts = new long[BOUNDS_SECONDS.length];
        long below = 0;
        for (int b = 0; b < BOUNDS_SECONDS.length; b++) {
            long atMost = b == BOUNDS_SECONDS.length - 1 ? latency.count() : latency.countAtMost(Math.round(BOUNDS_SECONDS[b] * 1e6));
            counts[b] = atMost - below;
            below = atMost;
        }
        return HistogramDataPointSnapshot.builder().labels(labels).sum(latency.sumNanos() / 1e9)
                .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS_SECONDS, counts)).build();
    }

    private static SummaryDataPointSnapshot summary(Labels labels, LatencySnapshot latency) {
        Quantiles.Builder values = Quantiles.builder();
        for (double q : LatencyStats.QUANTILES) {
            values.quantile(new Quantile(q, latency.percentileMicros(q) / 1e6));
        }
        return SummaryDataPointSnapshot.builder().labels(labels).count(latency.count()).sum(latency.sumNanos() / 1e9)
                .quantiles(values.build()).build();
    }

    private static CounterSnapshot poolCounter(List<ProxyState> states, Counter counter, String name, String help) {
        CounterSnapshot.Builder builder = CounterSnapshot.builder().name(name).help(help);
        for (ProxyState state : states) {
            builder.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("pool", state.pool())).value(state.total(counter)).build());
        }
        return builder.build();
    }

    private static CounterSnapshot counter(String name, String help, long value) {
        return CounterSnapshot.builder().name(name).help(help).dataPoint(CounterDataPointSnapshot.builder().value(value).build()).build();
    }
}
