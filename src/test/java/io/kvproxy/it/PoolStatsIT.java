package io.kvproxy.it;

import static io.kvproxy.it.BinaryPackets.KEY_NOT_FOUND;
import static io.kvproxy.it.BinaryPackets.read;
import static io.kvproxy.it.BinaryPackets.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.it.BinaryPackets.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stats} through kvproxy answers for the pool: the master servers' figures summed under
 * memcached's names from a recent background sample, the proxy's own beside them, the groups merged,
 * {@code stats reset} reaching the servers, binary STAT groups alike; and with a server hung, the reply
 * still comes at once, says which servers answered and leaves the hung one's stale figures out.
 */
@Timeout(120)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolStatsIT {

    private static final int STAT = 0x10;
    private static final int KEYS = 60;

    @TempDir
    static Path dir;
    static final List<MemcachedServer> masters = new ArrayList<>();
    static KvproxyProcess proxy;

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < 3; i++) {
            masters.add(MemcachedServer.start());
        }
        int port = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "recv_timeout = 2000\nfailover_interval = 1",
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + KvproxyProcess.cluster("master", masters)));
        try (RawClient c = new RawClient(proxy.port())) {
            for (int i = 0; i < KEYS; i++) {
                assertEquals("STORED\r\n", c.call("set pool:" + i + " 0 0 5\r\nvalue\r\n", "\r\n"));
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        KvproxyProcess.stopAll(proxy, masters);
    }

    @Test
    @Order(1)
    void theServersFiguresAreSummedUnderMemcachedsNames() throws Exception {
        assertTrue(Await.until(Duration.ofSeconds(10), () -> figure(stats(proxy.port(), ""), "curr_items") == KEYS),
                "curr_items reaches " + KEYS + ": " + stats(proxy.port(), ""));
        Map<String, String> pool = stats(proxy.port(), "");
        assertEquals("1.6.18", pool.get("version"));
        assertEquals("0.1.0", pool.get("kvproxy_version"));
        assertEquals("3", pool.get("kvproxy_pool_servers"));
        assertEquals("3", pool.get("kvproxy_pool_servers_answered"));
        long limit = 0;
        long totalItems = 0;
        for (MemcachedServer server : masters) {
            Map<String, String> direct = stats(server.port(), "");
            limit += figure(direct, "limit_maxbytes");
            totalItems += figure(direct, "total_items");
        }
        assertEquals(limit, figure(pool, "limit_maxbytes"));
        assertEquals(totalItems, figure(pool, "total_items"));
        // The proxy's own clients, not the servers' (whose clients are the proxy's connections).
        assertEquals(figure(pool, "curr_connections"), figure(pool, "connection_structures"));
        assertTrue(pool.containsKey("kvproxy_cmd_total") && !pool.containsKey("cmd_total"), pool.toString());

        Map<String, String> items = stats(proxy.port(), "items");
        assertEquals(KEYS, figure(items, "items:1:number"), items.toString());
        Map<String, String> slabs = stats(proxy.port(), "slabs");
        assertEquals(KEYS, figure(slabs, "1:used_chunks"), slabs.toString());
        assertEquals(figure(stats(masters.get(0).port(), "slabs"), "1:chunk_size"), figure(slabs, "1:chunk_size"));
        assertTrue(slabs.containsKey("total_malloced"), slabs.toString());
        Map<String, String> settings = stats(proxy.port(), "settings");
        assertEquals(Integer.toString(proxy.port()), settings.get("tcpport"));
        assertEquals(limit, figure(settings, "maxbytes"));
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("ERROR\r\n", c.call("stats conns\r\n", "\r\n"));
            assertEquals("ERROR\r\n", c.call("stats nonsense\r\n", "\r\n"));
        }
    }

    /** After the reset test: it resets the counters too. */
    @Test
    @Order(3)
    void binaryStatTakesTheSameGroups() throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2000);
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            Map<String, String> items = binaryStats(socket, in, "items", 1);
            assertTrue(items.containsKey("items:1:number"), items.toString());
            Map<String, String> plain = binaryStats(socket, in, "", 2);
            assertEquals("1.6.18", plain.get("version"));
            assertTrue(plain.containsKey("curr_items"), plain.toString());
            assertEquals(Map.of(), binaryStats(socket, in, "reset", 3));
            socket.getOutputStream().write(request(STAT, new byte[0], "nonsense", "", 4));
            Reply reply = read(in);
            assertEquals(KEY_NOT_FOUND, reply.status(), reply.toString());
        }
    }

    @Test
    @Order(2)
    void statsResetResetsTheProxysCountersAndTheServers() throws Exception {
        try (RawClient c = new RawClient(proxy.port())) {
            assertTrue(c.call("get pool:1 pool:2 pool:3\r\n", "END\r\n").contains("VALUE pool:1 "));
            assertEquals("RESET\r\n", c.call("stats reset\r\n", "\r\n"));
        }
        Map<String, String> after = stats(proxy.port(), "");
        assertEquals(0, figure(after, "cmd_get"));
        assertEquals(0, figure(after, "get_hits"));
        assertTrue(figure(after, "kvproxy_cmd_total") > 0, "the proxy's own accounting is not reset");
        assertTrue(Await.until(Duration.ofSeconds(10), () -> {
            for (MemcachedServer server : masters) {
                if (figure(stats(server.port(), ""), "get_hits") != 0) {
                    return false;
                }
            }
            return true;
        }), "every server's counters reset");
        assertTrue(Await.until(Duration.ofSeconds(10), () -> figure(stats(proxy.port(), ""), "total_items") == 0));
        assertEquals(KEYS, figure(stats(proxy.port(), ""), "curr_items"), "a gauge stays");
        assertEquals(0, figure(stats(proxy.port(), ""), "kvproxy_pool_resets_missed"));
    }

    /** Runs last: it hangs a server. */
    @Test
    @Order(4)
    void aHungServerIsLeftOutAndTheReplyDoesNotWaitForIt() throws Exception {
        MemcachedServer hung = masters.get(2);
        long others = figure(stats(masters.get(0).port(), ""), "curr_items") + figure(stats(masters.get(1).port(), ""), "curr_items");
        signal("STOP", hung.pid());
        try {
            assertTrue(Await.until(Duration.ofSeconds(20), () -> "2".equals(stats(proxy.port(), "").get("kvproxy_pool_servers_answered"))),
                    "the hung server's sample ages out: " + stats(proxy.port(), ""));
            long started = System.nanoTime();
            Map<String, String> pool = stats(proxy.port(), "");
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(millis < 1000, "stats answered in " + millis + " ms with a server hung");
            assertEquals(others, figure(pool, "curr_items"), pool.toString());
            assertEquals("3", pool.get("kvproxy_pool_servers"));
        } finally {
            signal("CONT", hung.pid());
        }
        assertTrue(Await.until(Duration.ofSeconds(30), () -> "3".equals(stats(proxy.port(), "").get("kvproxy_pool_servers_answered"))),
                "the server is sampled again once it answers");
    }

    @org.junit.jupiter.api.AfterEach
    void noServerLeftHung() throws Exception {
        for (MemcachedServer server : masters) {
            signal("CONT", server.pid());
        }
    }

    private static void signal(String name, long pid) throws Exception {
        Signals.send(name, pid);
    }

    /** {@code stats <group>} as name → value. */
    private static Map<String, String> stats(int port, String group) {
        try (RawClient c = new RawClient(port)) {
            Map<String, String> figures = new LinkedHashMap<>();
            for (String line : c.call(group.isEmpty() ? "stats\r\n" : "stats " + group + "\r\n", "END\r\n").split("\r\n")) {
                String[] words = line.split(" ", 3);
                if (words.length == 3 && words[0].equals("STAT")) {
                    figures.put(words[1], words[2]);
                }
            }
            return figures;
        } catch (IOException e) {
            throw new AssertionError("stats " + group + " on port " + port, e);
        }
    }

    private static long figure(Map<String, String> stats, String name) {
        String value = stats.get(name);
        if (value == null) {
            throw new AssertionError("no " + name + " in " + stats);
        }
        return Long.parseLong(value);
    }

    private static Map<String, String> binaryStats(Socket socket, InputStream in, String group, int opaque) throws IOException {
        socket.getOutputStream().write(request(STAT, new byte[0], group, "", opaque));
        Map<String, String> figures = new LinkedHashMap<>();
        while (true) {
            Reply reply = read(in);
            assertEquals(0, reply.status(), reply.toString());
            assertEquals(opaque, reply.opaque());
            if (reply.key().isEmpty()) {
                return figures;
            }
            figures.put(reply.key(), reply.value());
        }
    }
}
