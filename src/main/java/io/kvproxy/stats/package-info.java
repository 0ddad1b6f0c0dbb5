/**
 * The proxy's counters and its reports: the original kvproxy {@code status} text, the figures behind
 * memcached's {@code stats}, the same as Prometheus metrics, and twemproxy's stats JSON ({@link
 * io.kvproxy.stats.TwemproxyStats}, from the per-server {@link io.kvproxy.stats.ServerCounters}). Each
 * worker writes only its own counters and latency histograms (single writer, ordered stores, no locks,
 * no allocation); readers on other threads sum them.
 *
 * <pre>
 *  worker: BackendConnection.enqueue ── time noted in its PendingFifo
 *          reply framed ──► BackendTimings (this worker, this server) ──► LatencyHistogram[command kind]
 *  reporter: ServerTimings (one pool: by server, every worker) ──► LatencySnapshot (merged)
 *              ├─► LatencyStats       ─► stats: kvproxy_latency_*_p50_us …
 *              └─► PrometheusMetrics  ─► GET /metrics (daemon.MetricsEndpoint)
 * </pre>
 */
package io.kvproxy.stats;
