package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients from outside Java, against a lone memcached 1.6.18 and against kvproxy over three
 * memcached servers, side by side and held to the same expectations: libmemcached's {@code memcstat}
 * (text and binary) and {@code memcping}, which refuse a server whose version they cannot parse, and
 * Debian's pymemcache driven by {@code src/test/resources/clients/pymemcache_client.py} (version, stats
 * and its groups, multi-get, cas, noreply, an oversized value).
 */
@Timeout(120)
class ExternalClientsIT {

    private static final Path PYMEMCACHE_CLIENT = KvproxyProcess.HOME.resolve("src/test/resources/clients/pymemcache_client.py");
    /** What a dashboard reads from memcached's stats; each must be there, from the pool when through kvproxy. */
    private static final List<String> POOL_FIGURES = List.of("curr_items", "total_items", "bytes", "evictions",
            "bytes_read", "bytes_written", "limit_maxbytes", "connection_structures", "curr_connections", "cmd_get");

    @TempDir
    static Path dir;
    static final List<MemcachedServer> servers = new ArrayList<>();
    static MemcachedServer lone;
    static KvproxyProcess proxy;

    @BeforeAll
    static void start() throws Exception {
        // Both refuse values over 1 MB: memcached -I 1m, kvproxy max_packet = 1.
        lone = MemcachedServer.withItemSizeMax("1m");
        servers.add(lone);
        proxy = KvproxyProcess.startOverMaster(dir, servers, 3, "recv_timeout = 2000\nmax_packet = 1");
    }

    @AfterAll
    static void stop() throws Exception {
        KvproxyProcess.stopAll(proxy, servers);
    }

    private static int[] sides() {
        return new int[] {lone.port(), proxy.port()};
    }

    @Test
    void memcstatReadsVersionAndStatsOverTextAndBinary() throws Exception {
        for (int port : sides()) {
            for (boolean binary : new boolean[] {false, true}) {
                List<String> args = new ArrayList<>(List.of("--servers=127.0.0.1:" + port));
                if (binary) {
                    args.add("--binary");
                }
                KvproxyProcess.Result run = ExternalProgram.run(30, "memcstat", args.toArray(String[]::new));
                String what = "memcstat " + args + ":\n" + run.output();
                assertEquals(0, run.exitCode(), what);
                assertTrue(run.output().contains("\tversion: 1.6.18\n"), what);
                for (String figure : POOL_FIGURES) {
                    Matcher value = Pattern.compile("\\t" + figure + ": (\\d+)\\n").matcher(run.output());
                    assertTrue(value.find(), figure + " in " + what);
                }
            }
        }
    }

    @Test
    void memcpingAnswers() throws Exception {
        for (int port : sides()) {
            KvproxyProcess.Result run = ExternalProgram.run(30, "memcping", "--servers=127.0.0.1:" + port);
            assertEquals(0, run.exitCode(), "memcping port " + port + ":\n" + run.output());
        }
    }

    @Test
    void pymemcacheSeesTheSameServer() throws Exception {
        String expected = "{\"after_oversized\": \"v2\", \"cas_value_after\": \"swapped\", \"cas_with_stale_token\": false, "
                + "\"cas_with_token\": true, \"multi_get_all_right\": true, \"multi_get_hits\": 100, "
                + "\"noreply_delete_applied\": true, \"noreply_sets_applied\": 50, "
                + "\"oversized\": \"b'object too large for cache'\", \"stats_items_have_numbers\": true, "
                + "\"stats_numeric\": [\"bytes\", \"bytes_read\", \"bytes_written\", \"cmd_get\", \"cmd_set\", "
                + "\"connection_structures\", \"curr_connections\", \"curr_items\", \"evictions\", \"get_hits\", "
                + "\"get_misses\", \"limit_maxbytes\", \"total_connections\", \"total_items\"], "
                + "\"stats_settings_maxconns\": true, \"stats_slabs_have_total_malloced\": true, "
                + "\"stats_version\": \"1.6.18\", \"version\": \"VERSION\", \"version_major_minor\": \"1.6\"}";
        for (int port : sides()) {
            KvproxyProcess.Result run = ExternalProgram.run(60, "/usr/bin/python3", PYMEMCACHE_CLIENT.toString(),
                    Integer.toString(port), "py" + port);
            assertEquals(0, run.exitCode(), "pymemcache against port " + port + ":\n" + run.output());
            String seen = run.output().trim();
            // The one difference a client may see: kvproxy's own version after memcached's.
            String version = port == lone.port() ? "1.6.18" : "1.6.18 kvproxy-0.1.0";
            assertEquals(expected.replace("\"version\": \"VERSION\"", "\"version\": \"" + version + "\""), seen,
                    "pymemcache against port " + port);
        }
    }
}
