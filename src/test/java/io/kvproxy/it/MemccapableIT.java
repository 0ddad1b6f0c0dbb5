package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * libmemcached's {@code memccapable}, the protocol conformance check of memcached's own tools, run
 * against a lone memcached 1.6.18 and against kvproxy over three memcached servers: every ascii and
 * binary test must pass on both, and they must be the same tests. memccapable decides from the version a
 * server reports which rules it holds it to (1.6's or older ones), so this also proves the version.
 */
@Timeout(180)
class MemccapableIT {

    /** memccapable 1.1.4's ascii and binary tests. */
    private static final int TESTS = 54;
    private static final Pattern RESULT = Pattern.compile("^(.+?)\\s+\\[(\\w+)\\]\\s*$", Pattern.MULTILINE);

    @TempDir
    static Path dir;
    static final List<MemcachedServer> servers = new ArrayList<>();
    static MemcachedServer lone;
    static KvproxyProcess proxy;

    @BeforeAll
    static void start() throws Exception {
        lone = MemcachedServer.start();
        servers.add(lone);
        proxy = KvproxyProcess.startOverMaster(dir, servers, 3, "recv_timeout = 2000");
    }

    @AfterAll
    static void stop() throws Exception {
        KvproxyProcess.stopAll(proxy, servers);
    }

    @Test
    void everyTestPassesOnMemcachedAndThroughKvproxy() throws Exception {
        Map<String, String> direct = memccapable(lone.port());
        Map<String, String> proxied = memccapable(proxy.port());
        assertEquals(TESTS, direct.size(), "memcached: " + direct);
        assertEquals(direct.keySet(), proxied.keySet(), "the same tests");
        for (Map.Entry<String, String> test : proxied.entrySet()) {
            assertEquals("pass", direct.get(test.getKey()), "memcached: " + test.getKey());
            assertEquals("pass", test.getValue(), "kvproxy: " + test.getKey() + " (all: " + proxied + ")");
        }
    }

    /** Test name → result word ("pass", "FAIL", "skipped"), in memccapable's order; asserts it ran to its end. */
    private static Map<String, String> memccapable(int port) throws Exception {
        KvproxyProcess.Result run = ExternalProgram.run(120, "memccapable", "-h", "127.0.0.1", "-p", Integer.toString(port), "-t", "10");
        Map<String, String> results = new LinkedHashMap<>();
        Matcher matcher = RESULT.matcher(run.output());
        while (matcher.find()) {
            results.put(matcher.group(1).trim(), matcher.group(2));
        }
        assertTrue(run.output().contains("All tests passed"), "port " + port + ", exit " + run.exitCode() + ":\n" + run.output());
        assertEquals(0, run.exitCode(), run.output());
        return results;
    }
}
