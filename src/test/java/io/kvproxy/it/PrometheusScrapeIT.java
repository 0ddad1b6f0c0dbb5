package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus scrapes kvproxy's {@code metrics_port}, and what it stored, read back through its HTTP
 * query API, is what the clients did: requests per pool, per server and command kind, latency histograms
 * and quantiles that agree with the request counts, replication as {@code stats} counts it, the open client
 * connection; and with a server hung, its timeouts and its ejection. promtool finds nothing to say of the
 * exposition.
 */
@Timeout(180)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrometheusScrapeIT {

    private static final int SETS = 100;
    private static final int GETS = 100;
    private static final int DELETES = 50;
    private static final int INCRS = 20;
    private static final Duration SCRAPED = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    static final List<MemcachedServer> masters = new ArrayList<>();
    static MemcachedServer backup;
    static KvproxyProcess proxy;
    static PrometheusProcess prometheus;
    /** Both masters, as a PromQL regular expression over the server label. */
    static String mastersRegex;
    static int metricsPort;

    @BeforeAll
    static void start() throws Exception {
        masters.add(MemcachedServer.start());
        masters.add(MemcachedServer.start());
        backup = MemcachedServer.start();
        mastersRegex = masters.get(0).address() + "|" + masters.get(1).address();
        metricsPort = MemcachedServer.freePort();
        proxy = KvproxyProcess.startOverMastersAndBackup(dir, masters, backup,
                "recv_timeout = 2000\nfailover_interval = 1\nfailover_threshold = 2\nmetrics_port = " + metricsPort);
        prometheus = PrometheusProcess.start(dir, metricsPort);
        assertTrue(Await.until(SCRAPED, PrometheusScrapeIT::targetUp), "Prometheus never scraped kvproxy; its log:\n" + prometheus.log());
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.close();
            assertTrue(!prometheus.isAlive(), "prometheus still running");
        }
        List<MemcachedServer> all = new ArrayList<>(masters);
        if (backup != null) {
            all.add(backup);
        }
        KvproxyProcess.stopAll(proxy, all);
    }

    @Test
    @Order(1)
    void whatTheClientsDidIsWhatPrometheusStored() throws Exception {
        try (RawClient client = new RawClient(proxy.port())) {
            for (int i = 0; i < SETS; i++) {
                assertEquals("STORED\r\n", client.call("set scrape:" + i + " 0 0 2\r\n" + i % 10 + "0\r\n", "\r\n"));
            }
            for (int i = 0; i < GETS; i++) {
                assertTrue(client.call("get scrape:" + i + "\r\n", "END\r\n").startsWith("VALUE scrape:" + i + " "));
            }
            for (int i = 0; i < DELETES; i++) {
                assertEquals("DELETED\r\n", client.call("delete scrape:" + i + "\r\n", "\r\n"));
            }
            for (int i = 0; i < INCRS; i++) {
                assertEquals((i % 10 + 1) + "0\r\n", client.call("incr scrape:" + (DELETES + i) + " 10\r\n", "\r\n"));
            }
            int requests = SETS + GETS + DELETES + INCRS;
            awaitValue("sum(kvproxy_requests_total{pool=\"memcached\"})", requests);
            // The protocol's own counters, registered by name, are metrics of their own.
            awaitValue("kvproxy_cmd_set_total{pool=\"memcached\"}", SETS);
            awaitValue("kvproxy_get_hits_total{pool=\"memcached\"}", GETS);
            // The client is still connected: Prometheus saw it.
            awaitValue("kvproxy_client_connections", 1);
        }
        assertEquals(SETS, value(serverSum("kvproxy_server_requests_total", "set")));
        assertEquals(GETS, value(serverSum("kvproxy_server_requests_total", "get")));
        assertEquals(DELETES, value(serverSum("kvproxy_server_requests_total", "delete")));
        assertEquals(INCRS, value(serverSum("kvproxy_server_requests_total", "arithmetic")));
        assertEquals(0, value("sum(kvproxy_server_errors_total{server=~\"" + mastersRegex + "\"})"));
        // Each server had some of the keys: the two servers' series add up to the whole.
        for (MemcachedServer master : masters) {
            double gets = value("kvproxy_server_requests_total{command=\"get\",server=\"" + master.address() + "\"}");
            assertTrue(gets > 0 && gets < GETS, master.address() + " answered " + gets + " of the gets");
        }
    }

    @Test
    @Order(2)
    void latencyHistogramsAndQuantilesAgreeWithTheRequests() throws Exception {
        assertEquals(GETS, value(serverSum("kvproxy_server_request_duration_seconds_count", "get")));
        assertEquals(GETS, value("sum(kvproxy_server_request_duration_seconds_bucket{command=\"get\",le=\"+Inf\",server=~\"" + mastersRegex + "\"})"));
        // Every reply came well within recv_timeout (2 s).
        assertEquals(GETS, value("sum(kvproxy_server_request_duration_seconds_bucket{command=\"get\",le=\"2.5\",server=~\"" + mastersRegex + "\"})"));
        double sumSeconds = value(serverSum("kvproxy_server_request_duration_seconds_sum", "get"));
        assertTrue(sumSeconds > 0 && sumSeconds < GETS * 2.0, "sum of get latencies " + sumSeconds + " s");
        double p99 = value("histogram_quantile(0.99, sum by (le) (kvproxy_server_request_duration_seconds_bucket{command=\"get\",server=~\""
                + mastersRegex + "\"}))");
        assertTrue(p99 > 0 && p99 <= 2.5, "histogram p99 " + p99 + " s");
        for (MemcachedServer master : masters) {
            String series = "kvproxy_server_latency_seconds{command=\"set\",server=\"" + master.address() + "\",quantile=\"";
            double q50 = value(series + "0.5\"}");
            double q99 = value(series + "0.99\"}");
            double q999 = value(series + "0.999\"}");
            assertTrue(0 < q50 && q50 <= q99 && q99 <= q999 && q999 < 2, master.address() + ": p50 " + q50 + " p99 " + q99 + " p999 " + q999);
            assertEquals(value("kvproxy_server_requests_total{command=\"set\",server=\"" + master.address() + "\"}"),
                    value("kvproxy_server_latency_seconds_count{command=\"set\",server=\"" + master.address() + "\"}"));
        }
        Map<String, Long> stats = stats();
        long p50 = stats.get("kvproxy_latency_get_p50_us");
        long p99us = stats.get("kvproxy_latency_get_p99_us");
        long p999 = stats.get("kvproxy_latency_get_p999_us");
        assertTrue(0 < p50 && p50 <= p99us && p99us <= p999 && p999 < 2_000_000, "stats get latency p50 " + p50 + " p99 " + p99us + " p999 " + p999);
        for (MemcachedServer master : masters) {
            assertTrue(stats.get("kvproxy_server_" + master.address() + "_latency_p99_us") > 0, "stats p99 of " + master.address());
        }
    }

    @Test
    @Order(3)
    void replicationIsWhatStatsCounts() throws Exception {
        assertTrue(Await.until(SCRAPED, () -> stats().get("kvproxy_replication_in_flight") == 0), "replicas still in flight");
        Map<String, Long> stats = stats();
        assertTrue(stats.get("kvproxy_replicated") >= SETS, "replicated " + stats.get("kvproxy_replicated"));
        awaitValue("kvproxy_replicated_total{pool=\"memcached\"}", stats.get("kvproxy_replicated"));
        awaitValue("kvproxy_replication_accepted_total{pool=\"memcached\"}", stats.get("kvproxy_replication_accepted"));
        awaitValue("kvproxy_replication_dropped_total{pool=\"memcached\"}", stats.get("kvproxy_replication_dropped"));
        awaitValue("kvproxy_replication_failed_total{pool=\"memcached\"}", stats.get("kvproxy_replication_failed"));
        awaitValue("kvproxy_replication_queue{pool=\"memcached\"}", 0);
        // The replicas are requests to the backup server like any other.
        assertTrue(value("sum(kvproxy_server_requests_total{server=\"" + backup.address() + "\"})") >= SETS);
    }

    @Test
    @Order(4)
    void aHungServerShowsItsTimeoutsAndItsEjection() throws Exception {
        MemcachedServer hung = masters.get(0);
        String server = "server=\"" + hung.address() + "\"";
        assertEquals(0, value("kvproxy_server_ejections_total{" + server + "}"));
        Signals.stop(hung.pid());
        try {
            try (RawClient client = new RawClient(proxy.port())) {
                StringBuilder batch = new StringBuilder();
                for (int i = 0; i < 20; i++) {
                    batch.append("get scrape:").append(i).append("\r\n");
                }
                client.send(batch.toString());
                // Each reply ends with END (a hit) or is one SERVER_ERROR line; the values ("00".."90") hold neither.
                StringBuilder replies = new StringBuilder();
                while (count(replies, "END\r\n") + count(replies, "SERVER_ERROR") < 20) {
                    replies.append(client.readUntil("\r\n"));
                }
                int timedOut = count(replies, "SERVER_ERROR backend timeout\r\n");
                assertTrue(timedOut > 0, "no get went to the hung server: " + replies);
                // The background stats samples to the hung server time out too, as command="other".
                awaitValue("kvproxy_server_errors_total{" + server + ",command=\"get\",reason=\"timeout\"}", timedOut);
            }
            awaitValue("kvproxy_server_ejections_total{" + server + "}", 1);
            awaitValue("kvproxy_server_in_ring{" + server + "}", 0);
            assertEquals(1, value("kvproxy_server_in_ring{server=\"" + masters.get(1).address() + "\"}"));
        } finally {
            Signals.send("CONT", hung.pid());
        }
        awaitValue("kvproxy_server_in_ring{" + server + "}", 1);
        assertEquals(1, value("kvproxy_server_ejections_total{" + server + "}"));
    }

    @Test
    @Order(5)
    void theExpositionPassesPromtoolAndOnlyGetMetricsIsServed() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> metrics = http.send(request("/metrics", "GET"), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", metrics.headers().firstValue("Content-Type").orElse(""));
        PrometheusProcess.Verdict verdict = PrometheusProcess.checkMetrics(dir.resolve("metrics.txt"), metrics.body());
        assertEquals(0, verdict.exitCode(), "promtool check metrics: " + verdict.output());
        assertEquals("", verdict.output(), "promtool's lint");
        assertEquals(404, http.send(request("/", "GET"), HttpResponse.BodyHandlers.discarding()).statusCode());
        assertEquals(405, http.send(request("/metrics", "POST"), HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    @Test
    @Order(6)
    void aPoolAReloadAddsAppearsAndOneItRemovesLeaves() throws Exception {
        Path file = dir.resolve("kvproxy.ini");
        String original = Files.readString(file);
        int extraPort = MemcachedServer.freePort();
        Files.writeString(file, original + "\n[extra]\nextension = memcached.jar\nlisten = 127.0.0.1:" + extraPort + "\nhosts = master\n");
        Signals.send("HUP", proxy.pid());
        assertTrue(Await.until(SCRAPED, () -> MemcachedServer.accepts(extraPort)), "pool extra not listening:\n" + proxy.log());
        try (RawClient client = new RawClient(extraPort)) {
            assertEquals("STORED\r\n", client.call("set extra:1 0 0 1\r\nx\r\n", "\r\n"));
        }
        awaitValue("kvproxy_requests_total{pool=\"extra\"}", 1);
        awaitValue("count(kvproxy_server_in_ring{pool=\"extra\"})", masters.size());
        Files.writeString(file, original);
        Signals.send("HUP", proxy.pid());
        assertTrue(Await.until(SCRAPED, () -> !MemcachedServer.accepts(extraPort)), "pool extra still listening:\n" + proxy.log());
        // Gone from the scrape, the series go stale in Prometheus: no sample for them any more.
        assertTrue(Await.until(SCRAPED, () -> query("kvproxy_requests_total{pool=\"extra\"}").isEmpty()),
                "the removed pool is still scraped");
        // The remaining pool keeps its count (the stats requests of the tests before add to the test's own).
        double kept = value("kvproxy_requests_total{pool=\"memcached\"}");
        assertTrue(kept >= SETS + GETS + DELETES + INCRS + 20, "pool memcached has " + kept + " requests");
    }

    private static HttpRequest request(String path, String method) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + path)).timeout(Duration.ofSeconds(5))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
    }

    private static int count(CharSequence text, String word) {
        int count = 0;
        for (int at = text.toString().indexOf(word); at >= 0; at = text.toString().indexOf(word, at + word.length())) {
            count++;
        }
        return count;
    }

    private static String serverSum(String metric, String command) {
        return "sum(" + metric + "{pool=\"memcached\",command=\"" + command + "\",server=~\"" + mastersRegex + "\"})";
    }

    /** Waits until Prometheus' latest sample of {@code promql} is {@code expected}. */
    private static void awaitValue(String promql, double expected) throws Exception {
        OptionalDouble[] last = {OptionalDouble.empty()};
        boolean reached = Await.until(SCRAPED, () -> {
            last[0] = query(promql);
            return last[0].isPresent() && last[0].getAsDouble() == expected;
        });
        assertTrue(reached, promql + ": expected " + expected + ", Prometheus has " + last[0]);
    }

    private static double value(String promql) throws Exception {
        OptionalDouble value = prometheus.query(promql);
        assertTrue(value.isPresent(), "Prometheus has no sample for " + promql);
        return value.getAsDouble();
    }

    private static OptionalDouble query(String promql) {
        try {
            return prometheus.query(promql);
        } catch (IOException e) {
            return OptionalDouble.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalDouble.empty();
        }
    }

    private static boolean targetUp() {
        try {
            return prometheus.targetUp();
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The numeric lines of kvproxy's {@code stats}. */
    private static Map<String, Long> stats() {
        Map<String, Long> values = new LinkedHashMap<>();
        try (RawClient client = new RawClient(proxy.port())) {
            for (String line : client.call("stats\r\n", "END\r\n").split("\r\n")) {
                String[] parts = line.split(" ");
                if (parts.length == 3 && parts[0].equals("STAT") && parts[2].matches("-?\\d+")) {
                    values.put(parts[1], Long.parseLong(parts[2]));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("stats failed", e);
        }
        return values;
    }
}
