package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Ring;
import io.kvproxy.route.RingNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several pools in one process: each listens on its own address and routes on its own clusters, with its
 * own hash; its clients see only its keys, its counters and its servers, and a server of one pool going
 * out leaves the other untouched. A nutcracker.yml with two memcached pools imports into one file that
 * places every key of each pool where a real nutcracker places it.
 */
@Timeout(120)
class PoolsIT {

    @TempDir
    Path dir;
    final List<MemcachedServer> servers = new ArrayList<>();
    KvproxyProcess proxy;
    NutcrackerProcess nutcracker;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        if (nutcracker != null) {
            nutcracker.close();
        }
        for (MemcachedServer server : servers) {
            Signals.send("CONT", server.pid());
            server.close();
        }
    }

    /** The value of {@code key} on one server, asked directly; null when it does not hold it. */
    private static String valueOn(MemcachedServer server, String key) throws Exception {
        try (RawClient direct = new RawClient(server.port())) {
            String reply = direct.call("get " + key + "\r\n", "END\r\n");
            return reply.startsWith("VALUE") ? reply.split("\r\n")[1] : null;
        }
    }

    private static String stat(int port, String name) throws Exception {
        try (RawClient c = new RawClient(port)) {
            for (String line : c.call("stats\r\n", "END\r\n").split("\r\n")) {
                if (line.startsWith("STAT " + name + " ")) {
                    return line.substring(name.length() + 6);
                }
            }
        }
        throw new AssertionError("no stat " + name + " on port " + port);
    }

    @Test
    void eachPoolServesItsOwnClustersOnItsOwnPort() throws Exception {
        for (int i = 0; i < 3; i++) {
            servers.add(MemcachedServer.start());
        }
        List<MemcachedServer> front = servers.subList(0, 2);
        MemcachedServer sessions = servers.get(2);
        int port = MemcachedServer.freePort();
        int sessionsPort = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir,
                "recv_timeout = 300\nfailover_threshold = 2\nfailover_interval = 1",
                "[memcached]\nextension = memcached.jar\nhosts = front\n\n"
                        + "[sessions]\nextension = memcached.jar\nlisten = 127.0.0.1:" + sessionsPort + "\nhosts = store\nhash = fnv1a_64\n\n"
                        + KvproxyProcess.cluster("front", front) + KvproxyProcess.cluster("store", List.of(sessions))));
        assertTrue(Await.until(Duration.ofSeconds(10), () -> MemcachedServer.accepts(sessionsPort)), proxy.log());

        Ring frontRing = Ring.build(Distribution.KETAMA, HashFunction.MD5, null,
                List.of(new RingNode("1", 100, 0), new RingNode("2", 100, 1)));
        try (RawClient a = new RawClient(port); RawClient b = new RawClient(sessionsPort)) {
            for (int i = 0; i < 50; i++) {
                String key = "k" + i;
                assertEquals("STORED\r\n", a.call("set " + key + " 0 0 5\r\nfront\r\n", "\r\n"));
                assertEquals("END\r\n", b.call("get " + key + "\r\n", "\r\n"), "pool sessions sees pool memcached's " + key);
                assertEquals("STORED\r\n", b.call("set " + key + " 0 0 8\r\nsessions\r\n", "\r\n"));
                int owner = frontRing.serverFor(key.getBytes(StandardCharsets.US_ASCII));
                assertEquals("front", valueOn(front.get(owner), key), key);
                assertNull(valueOn(front.get(1 - owner), key), key);
                assertEquals("sessions", valueOn(sessions, key), key);
                assertEquals("VALUE " + key + " 0 5\r\nfront\r\nEND\r\n", a.call("get " + key + "\r\n", "END\r\n"));
            }
            assertTrue(a.call("status\r\n", "\n\n").contains("Pool [memcached]"));
            String status = b.call("status\r\n", "\n\n");
            assertTrue(status.contains("Pool [sessions]"), status);
            assertTrue(status.contains("  - " + sessions.address() + " [0]"), status);
            assertFalse(status.contains(front.get(0).address()), "pool sessions reports pool memcached's servers:\n" + status);
        }
        assertEquals("memcached", stat(port, "kvproxy_pool"));
        assertEquals("sessions", stat(sessionsPort, "kvproxy_pool"));
        assertEquals("50", stat(port, "cmd_set"));
        assertEquals("50", stat(sessionsPort, "cmd_set"));

        // A server of one pool hangs and is ejected: the other pool goes on as before.
        Signals.send("STOP", sessions.pid());
        assertTrue(Await.until(Duration.ofSeconds(15), () -> proxy.log().contains("pool sessions: server " + sessions.address() + " ejected")),
                proxy.log());
        try (RawClient a = new RawClient(port)) {
            for (int i = 0; i < 50; i++) {
                assertEquals("STORED\r\n", a.call("set after" + i + " 0 0 1\r\nx\r\n", "\r\n"));
            }
        }
        assertEquals("0", stat(port, "kvproxy_backend_servers_offline"));
        assertFalse(proxy.log().contains("pool memcached: server"), proxy.log());
        Signals.send("CONT", sessions.pid());
        assertTrue(proxy.log().contains("pool [sessions] listening on 127.0.0.1:" + sessionsPort), proxy.log());
    }

    /** Two memcached pools of one nutcracker.yml, imported into one file: each key where nutcracker put it. */
    @Test
    void twoTwemproxyPoolsImportIntoOneFileThatPlacesKeysAsNutcrackerDoes() throws Exception {
        for (int i = 0; i < 4; i++) {
            servers.add(MemcachedServer.start());
        }
        int secondPort = MemcachedServer.freePort();
        nutcracker = NutcrackerProcess.start(dir, port -> "alpha:\n  listen: 127.0.0.1:" + port + "\n  hash: fnv1a_64\n"
                + "  distribution: ketama\n  servers:\n"
                + "   - " + servers.get(0).address() + ":1 a1\n   - " + servers.get(1).address() + ":2 a2\n"
                + "beta:\n  listen: 127.0.0.1:" + secondPort + "\n  hash: md5\n  distribution: ketama\n  hash_tag: \"{}\"\n  servers:\n"
                + "   - " + servers.get(2).address() + ":1 b1\n   - " + servers.get(3).address() + ":1 b2\n");
        assertTrue(Await.until(Duration.ofSeconds(5), () -> MemcachedServer.accepts(secondPort)));
        KvproxyProcess.SplitResult imported = KvproxyProcess.runSplit("--import-twemproxy", dir.resolve("nutcracker.yml").toString());
        assertEquals(0, imported.exitCode(), imported.stderr());

        // kvproxy runs beside nutcracker: the same pools, on ports of its own.
        int port = MemcachedServer.freePort();
        int kvSecond = MemcachedServer.freePort();
        String ini = imported.stdout()
                .replace("listen = 127.0.0.1:" + nutcracker.port() + "\n", "listen = 127.0.0.1:" + port + "\n")
                .replace("listen = 127.0.0.1:" + secondPort + "\n", "listen = 127.0.0.1:" + kvSecond + "\n")
                .replace("[kvproxy]\n", "[kvproxy]\nlog_path = " + dir.resolve("kvproxy.log") + "\nlog_level = info\nrecv_timeout = 5000\n");
        Path file = dir.resolve("imported.ini");
        Files.writeString(file, ini);
        assertEquals(0, KvproxyProcess.runSplit("-t", "-c", file.toString()).exitCode(), ini);
        proxy = KvproxyProcess.start(dir, port, ini);
        assertTrue(Await.until(Duration.ofSeconds(10), () -> MemcachedServer.accepts(kvSecond)), proxy.log());

        for (int[] pair : new int[][] {{nutcracker.port(), port}, {secondPort, kvSecond}}) {
            try (RawClient through = new RawClient(pair[0]); RawClient kv = new RawClient(pair[1])) {
                for (int i = 0; i < 200; i++) {
                    String key = "{user" + i + "}:p" + pair[0] + ":" + i;
                    assertEquals("STORED\r\n", through.call("set " + key + " 0 0 3\r\nnut\r\n", "\r\n"));
                    assertEquals("VALUE " + key + " 0 3\r\nnut\r\nEND\r\n", kv.call("get " + key + "\r\n", "END\r\n"),
                            "kvproxy reads " + key + " elsewhere than nutcracker wrote it");
                }
            }
        }
    }
}
