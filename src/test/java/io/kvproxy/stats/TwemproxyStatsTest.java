package io.kvproxy.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ProxySettings;
import io.kvproxy.config.ServerSpec;
import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.ProtocolCounter;
import io.kvproxy.stats.ServerCounters.PoolField;
import io.kvproxy.stats.ServerCounters.ServerField;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stats port's JSON from known counters: sums over workers, keys by id, escaping. */
class TwemproxyStatsTest {

    private final Topology topology = Topology.build(
            new ClusterSpec("master", List.of(new ServerSpec("127.0.0.1", 1, "a", 100, 1), new ServerSpec("127.0.0.1", 2, "b", 100, 2))),
            new ClusterSpec("backup", List.of(new ServerSpec("127.0.0.1", 3, "a", 100, 3))),
            null, Distribution.KETAMA, HashFunction.MD5, null, new byte[0]);
    private final List<ServerCounters> workers = List.of(new ServerCounters(3), new ServerCounters(1));
    private final ServerTimings timings = new ServerTimings(1);
    private final List<WorkerCounters> poolCounters = List.of(new WorkerCounters(2), new WorkerCounters(2));
    private final ProxySettings settings = new ProxySettings(55669, "127.0.0.1", 2, false, 1024,
            100, 1000, 0, Path.of("log/kvproxy.log"), "warn", Path.of("ext"), 1024 * 1024, 2, 2, 50000, 10000, 0, 0);
    private final ProxyState state = new ProxyState("9.9", "p", () -> settings, () -> topology, List.of(Own.values()), poolCounters,
            () -> 0, () -> 0, () -> 0, () -> 0, () -> 0, () -> 0, timings);

    /** A protocol's own counters, registered by name: one with a name of its own, one already the proxy's. */
    private enum Own implements ProtocolCounter {
        HITS("hits"), PROXY_ONLY("kvproxy_refused");

        private final String statName;

        Own(String statName) {
            this.statName = statName;
        }

        @Override
        public String statName() {
            return statName;
        }

        @Override
        public String help() {
            return "a test counter";
        }

        @Override
        public boolean resetByStatsReset() {
            return this == HITS;
        }
    }

    private String json() {
        TwemproxyStats stats = new TwemproxyStats("9.9", "host\"1", 1_000, () -> 7, () -> 2,
                () -> List.of(new TwemproxyStats.PoolSource("po\\ol", state, () -> topology, workers)));
        return stats.json(11_000);
    }

    @Test
    @Timeout(5)
    void sumsEveryWorkerAndKeysServersByIdTheSharedIdWithItsAddress() {
        workers.get(0).add(1, ServerField.REQUESTS, 5);
        // The second worker met server 1 only after a reload: its rows grow, the first's counts are kept.
        workers.get(1).add(0, ServerField.REQUESTS, 1);
        workers.get(1).ensureServer(2);
        workers.get(1).add(1, ServerField.REQUESTS, 2);
        workers.get(1).add(2, ServerField.SERVER_CONNECTIONS, 1);
        workers.get(0).add(PoolField.CLIENT_CONNECTIONS, 3);
        workers.get(1).add(PoolField.CLIENT_CONNECTIONS, -1);
        topology.health(1).recordEjection(5_000);
        // 99 gets of 100 µs and one set of 9 ms to server b: its p99 is the gets', its p999 the set's bucket.
        for (int i = 0; i < 99; i++) {
            timings.forWorker(topology.health(1).address(), 0).recordReply(io.kvproxy.spi.CommandKind.GET, 100_000);
        }
        timings.forWorker(topology.health(1).address(), 0).recordReply(io.kvproxy.spi.CommandKind.SET, 9_000_000);
        String json = json();

        assertTrue(json.startsWith("{\"service\":\"kvproxy\", \"source\":\"host\\\"1\", \"version\":\"9.9\", \"uptime\":10, "
                + "\"timestamp\":11, \"total_connections\":7, \"curr_connections\":2, \"po\\\\ol\":{\"client_eof\":0, \"client_err\":0, "
                + "\"client_connections\":2, \"server_ejects\":1, \"forward_error\":0, \"fragments\":0, "), json);
        assertTrue(json.contains("\"a@127.0.0.1:1\":{\"server_eof\":0, \"server_err\":0, \"server_timedout\":0, \"server_connections\":0,"
                + " \"server_ejected_at\":0, \"requests\":1, "), json);
        assertTrue(json.contains("\"b\":{\"server_eof\":0, \"server_err\":0, \"server_timedout\":0, \"server_connections\":0,"
                + " \"server_ejected_at\":5000000, \"requests\":7, "), json);
        assertTrue(json.contains("\"a@127.0.0.1:3\":{\"server_eof\":0, \"server_err\":0, \"server_timedout\":0, \"server_connections\":1,"), json);
        assertTrue(json.endsWith("\"kvproxy_failures\":0, \"kvproxy_latency_p50_us\":0, \"kvproxy_latency_p99_us\":0,"
                + " \"kvproxy_latency_p999_us\":0}}}"), json);
        java.util.regex.Matcher b = java.util.regex.Pattern.compile("\"b\":\\{[^}]*\"kvproxy_latency_p99_us\":([0-9]+), \"kvproxy_latency_p999_us\":([0-9]+)")
                .matcher(json);
        assertTrue(b.find(), json);
        long p99 = Long.parseLong(b.group(1));
        long p999 = Long.parseLong(b.group(2));
        assertTrue(p99 >= 100 && p99 <= 107, "p99 " + p99);
        assertTrue(p999 >= 9_000 && p999 <= 9_600, "p999 " + p999);
        assertEquals(1, workers.get(1).total(ServerField.SERVER_CONNECTIONS));
    }

    @Test
    @Timeout(5)
    void aProtocolsOwnCountersAreSummedOverWorkersUnderTheProxysName() {
        poolCounters.get(0).add(Own.HITS, 4);
        poolCounters.get(1).add(Own.HITS, 3);
        poolCounters.get(1).add(Own.PROXY_ONLY, 2);
        poolCounters.get(0).add(Counter.REQUESTS, 9);

        String json = json();

        assertTrue(json.contains("\"kvproxy_requests\":9, \"kvproxy_hits\":7, \"kvproxy_refused\":2, "), json);
    }

    @Test
    @Timeout(5)
    void statsResetResetsOnlyTheProtocolCountersThatAskForIt() {
        poolCounters.get(0).add(Own.HITS, 4);
        poolCounters.get(0).add(Own.PROXY_ONLY, 2);
        poolCounters.get(0).add(Counter.REQUESTS, 9);
        state.resetStats();
        poolCounters.get(1).add(Own.HITS, 1);
        Map<String, String> stats = new LinkedHashMap<>();

        state.forEachStat(stats::put);

        assertEquals("1", stats.get("hits"));
        assertEquals("2", stats.get("kvproxy_refused"));
        assertEquals("9", stats.get("kvproxy_cmd_total"));
    }
}
