package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Ring;
import io.kvproxy.route.RingNode;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Where keys go, and what the limits around routing do, against real memcached servers. */
@Timeout(90)
class RoutingIT {

    @TempDir
    Path dir;
    final List<MemcachedServer> servers = new ArrayList<>();
    KvproxyProcess proxy;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        for (MemcachedServer server : servers) {
            server.close();
            assertTrue(!server.isAlive());
        }
    }

    private List<MemcachedServer> startServers(int count) throws Exception {
        List<MemcachedServer> started = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MemcachedServer server = MemcachedServer.start();
            servers.add(server);
            started.add(server);
        }
        return started;
    }

    private KvproxyProcess startProxy(String kvproxyExtra, String sections) throws Exception {
        int port = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, kvproxyExtra, sections));
        return proxy;
    }

    private static String get(MemcachedServer server, String key) throws Exception {
        try (RawClient direct = new RawClient(server.port())) {
            return direct.call("get " + key + "\r\n", "END\r\n");
        }
    }

    @Test
    void everyKeyLandsWhereTheKetamaRingPutsIt() throws Exception {
        List<MemcachedServer> master = startServers(3);
        // Unequal weights, ids that are names: placement follows ids and weights, not addresses.
        String cluster = "[master]\n" + master.get(0).address() + " = \"alpha:100\"\n" + master.get(1).address()
                + " = \"beta:50\"\n" + master.get(2).address() + " = \"gamma:200\"\n";
        startProxy("", "[memcached]\nextension = memcached.jar\nhosts = master\n" + cluster);
        Ring ring = Ring.build(Distribution.KETAMA, HashFunction.MD5, null,
                List.of(new RingNode("alpha", 100, 0), new RingNode("beta", 50, 1), new RingNode("gamma", 200, 2)));
        int[] perServer = new int[3];
        try (RawClient c = new RawClient(proxy.port())) {
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 300; i++) {
                batch.append("set place:").append(i).append(" 0 0 1\r\nx\r\n");
            }
            // Acknowledged sets: every key is on its server when the last STORED arrives.
            c.send(batch.toString());
            assertEquals("STORED\r\n".repeat(300), c.readUntil("STORED\r\n".repeat(300)));
        }
        for (int i = 0; i < 300; i++) {
            String key = "place:" + i;
            int expected = ring.serverFor(key.getBytes(StandardCharsets.US_ASCII));
            perServer[expected]++;
            for (int s = 0; s < 3; s++) {
                assertEquals(s == expected, get(master.get(s), key).startsWith("VALUE"), key + " on server " + s);
            }
        }
        assertTrue(perServer[0] > 0 && perServer[1] > 0 && perServer[2] > 0);
    }

    /**
     * hash_tag in every lookup, seen from the servers: keys that share a tag are stored on one server, and
     * a text multi-get and a binary GETKQ run over them reach that server only (its cmd_get rises by the
     * key count, the others' not at all), although without the tag the keys live on different servers.
     */
    @Test
    void aHashTagKeepsTaggedKeysAndTheirMultiGetsOnOneServer() throws Exception {
        List<MemcachedServer> master = startServers(3);
        startProxy("", "[memcached]\nextension = memcached.jar\nhosts = master\nhash_tag = \"{}\"\n"
                + KvproxyProcess.cluster("master", master));
        List<RingNode> nodes = List.of(new RingNode("1", 100, 0), new RingNode("2", 100, 1), new RingNode("3", 100, 2));
        Ring untagged = Ring.build(Distribution.KETAMA, HashFunction.MD5, null, nodes);
        List<String> keys = List.of("{a}1", "{a}2", "{a}3");
        assertTrue(keys.stream().map(key -> untagged.serverFor(key.getBytes(StandardCharsets.US_ASCII))).distinct().count() > 1,
                "without the tag these keys should live on different servers");
        int owner = untagged.serverFor("a".getBytes(StandardCharsets.US_ASCII)); // the tag: only "a" is hashed
        StringBuilder expected = new StringBuilder();
        try (RawClient c = new RawClient(proxy.port())) {
            for (String key : keys) {
                assertEquals("STORED\r\n", c.call("set " + key + " 0 0 " + key.length() + "\r\n" + key + "\r\n", "\r\n"));
                expected.append("VALUE ").append(key).append(" 0 ").append(key.length()).append("\r\n").append(key).append("\r\n");
            }
        }
        for (String key : keys) {
            for (int s = 0; s < master.size(); s++) {
                assertEquals(s == owner, get(master.get(s), key).startsWith("VALUE"), key + " on server " + s);
            }
        }

        long[] before = cmdGets(master);
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals(expected + "END\r\n", c.call("get " + String.join(" ", keys) + "\r\n", "END\r\n"));
        }
        long[] afterText = cmdGets(master);
        try (Socket binary = new Socket("127.0.0.1", proxy.port())) {
            binary.setSoTimeout(5000);
            ByteArrayOutputStream run = new ByteArrayOutputStream();
            for (int i = 0; i < keys.size(); i++) {
                run.writeBytes(BinaryPackets.request(BinaryPackets.GETKQ, new byte[0], keys.get(i), "", i + 1));
            }
            run.writeBytes(BinaryPackets.request(BinaryPackets.NOOP, new byte[0], "", "", 99));
            binary.getOutputStream().write(run.toByteArray());
            List<BinaryPackets.Reply> replies = BinaryPackets.readUntilOpaque(binary.getInputStream(), 99);
            assertEquals(keys, replies.subList(0, keys.size()).stream().map(BinaryPackets.Reply::key).toList(), replies.toString());
            assertEquals(keys, replies.subList(0, keys.size()).stream().map(BinaryPackets.Reply::value).toList(), replies.toString());
        }
        long[] afterBinary = cmdGets(master);
        for (int s = 0; s < master.size(); s++) {
            long expectedGets = s == owner ? keys.size() : 0;
            assertEquals(expectedGets, afterText[s] - before[s], "text multi-get keys asked of server " + s);
            assertEquals(expectedGets, afterBinary[s] - afterText[s], "binary GETKQ keys asked of server " + s);
        }
    }

    /** Each server's cmd_get: the keys it has been asked for. */
    private static long[] cmdGets(List<MemcachedServer> servers) throws Exception {
        long[] counts = new long[servers.size()];
        for (int s = 0; s < servers.size(); s++) {
            try (RawClient direct = new RawClient(servers.get(s).port())) {
                String stats = direct.call("stats\r\n", "END\r\n");
                counts[s] = stats.lines().filter(line -> line.startsWith("STAT cmd_get ")).mapToLong(line -> Long.parseLong(line.substring(13)))
                        .findFirst().orElseThrow(() -> new AssertionError("no cmd_get in " + stats));
            }
        }
        return counts;
    }

    @Test
    void readsGoToHostsReadWhileGetsAndWritesGoToHosts() throws Exception {
        List<MemcachedServer> master = startServers(2);
        List<MemcachedServer> read = startServers(2);
        startProxy("", "[memcached]\nextension = memcached.jar\nhosts = master\nhosts_read = read\n"
                + KvproxyProcess.cluster("master", master) + KvproxyProcess.cluster("read", read));
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("STORED\r\n", c.call("set rw:a 0 0 6\r\nmaster\r\n", "\r\n"));
            // Same ids, so the read cluster splits keys as the master does: the same index holds the key.
            int holder = get(master.get(0), "rw:a").startsWith("VALUE") ? 0 : 1;
            try (RawClient direct = new RawClient(read.get(holder).port())) {
                assertEquals("STORED\r\n", direct.call("set rw:a 0 0 4\r\nread\r\n", "\r\n"));
            }
            assertEquals("VALUE rw:a 0 4\r\nread\r\nEND\r\n", c.call("get rw:a\r\n", "END\r\n"));
            assertTrue(c.call("gets rw:a\r\n", "END\r\n").startsWith("VALUE rw:a 0 6 "));
            assertEquals("VALUE rw:a 0 6\r\nmaster\r\nEND\r\n", c.call("gat 0 rw:a\r\n", "END\r\n"));
            assertEquals("DELETED\r\n", c.call("delete rw:a\r\n", "\r\n"));
            assertEquals("END\r\n", get(master.get(holder), "rw:a"));
            assertEquals("VALUE rw:a 0 4\r\nread\r\nEND\r\n", c.call("get rw:a\r\n", "END\r\n"));
        }
    }

    @Test
    void aDeadBackendGivesItsKeysAnErrorAndTheOthersKeepWorking() throws Exception {
        List<MemcachedServer> master = startServers(2);
        startProxy("", "[memcached]\nextension = memcached.jar\nhosts = master\n" + KvproxyProcess.cluster("master", master));
        Ring ring = Ring.build(Distribution.KETAMA, HashFunction.MD5, null,
                List.of(new RingNode("1", 100, 0), new RingNode("2", 100, 1)));
        String onDead = null;
        String onLive = null;
        for (int i = 0; onDead == null || onLive == null; i++) {
            String key = "dead:" + i;
            if (ring.serverFor(key.getBytes(StandardCharsets.US_ASCII)) == 1) {
                onDead = key;
            } else {
                onLive = key;
            }
        }
        master.get(1).close();
        try (RawClient c = new RawClient(proxy.port())) {
            String reply = c.call("set " + onDead + " 0 0 1\r\nx\r\n", "\r\n");
            assertTrue(reply.equals("SERVER_ERROR backend unavailable\r\n") || reply.equals("SERVER_ERROR backend timeout\r\n"), reply);
            assertEquals("STORED\r\n", c.call("set " + onLive + " 0 0 1\r\ny\r\n", "\r\n"));
            String multi = c.call("get " + onDead + " " + onLive + "\r\n", "END\r\n");
            assertEquals("VALUE " + onLive + " 0 1\r\ny\r\nEND\r\n", multi);
            String status = c.call("status\r\n", "\n\n");
            assertTrue(status.contains("  - " + master.get(1).address() + " ["), status);
            assertTrue(!status.contains("Number of requests failed [0]"), status);
        }
        assertTrue(proxy.log().contains("backend " + master.get(1).address() + " closed"), proxy.log());
    }

    @Test
    void maxClientsRefusesTheNextConnectionWithMemcachedsMessage() throws Exception {
        List<MemcachedServer> master = startServers(1);
        startProxy("max_clients = 2", "[memcached]\nextension = memcached.jar\nhosts = master\n" + KvproxyProcess.cluster("master", master));
        try (RawClient first = new RawClient(proxy.port()); RawClient second = new RawClient(proxy.port())) {
            assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", first.call("version\r\n", "\r\n"));
            assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", second.call("version\r\n", "\r\n"));
            try (RawClient third = new RawClient(proxy.port())) {
                assertEquals("ERROR Too many open connections\r\n", third.readUntil("\r\n"));
                assertTrue(third.isClosedByPeer());
            }
            assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", first.call("version\r\n", "\r\n"));
        }
    }

    @Test
    void aClientThatStopsReadingIsDisconnectedWithoutStallingOthers() throws Exception {
        List<MemcachedServer> master = startServers(1);
        startProxy("thread_count = 1", "[memcached]\nextension = memcached.jar\nhosts = master\n" + KvproxyProcess.cluster("master", master));
        String value = "v".repeat(1024 * 1024);
        try (RawClient writer = new RawClient(proxy.port())) {
            assertEquals("STORED\r\n", writer.call("set big:a 0 0 " + value.length() + "\r\n" + value + "\r\n", "\r\n"));
        }
        try (RawClient stalled = new RawClient(proxy.port()); RawClient other = new RawClient(proxy.port())) {
            stalled.send("get big:a\r\n".repeat(200));
            assertTrue(Await.until(java.time.Duration.ofSeconds(20), () -> proxy.log().contains("has stopped reading")), proxy.log());
            // The same worker keeps serving everyone else.
            assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", other.call("version\r\n", "\r\n"));
            assertTrue(other.call("get big:a\r\n", "END\r\n").startsWith("VALUE big:a 0 1048576\r\n"));
        }
    }

    @Test
    void aClientSilentMidRequestIsClosedAfterIdleTimeout() throws Exception {
        List<MemcachedServer> master = startServers(1);
        startProxy("idle_timeout = 1", "[memcached]\nextension = memcached.jar\nhosts = master\n" + KvproxyProcess.cluster("master", master));
        try (RawClient half = new RawClient(proxy.port())) {
            half.send("set idle:a 0 0 10\r\nabc");
            long started = System.nanoTime();
            half.setReadTimeoutMillis(5000);
            assertTrue(half.isClosedByPeer());
            long waitedMillis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(waitedMillis >= 500 && waitedMillis < 4000, "closed after " + waitedMillis + " ms");
        }
        try (RawClient next = new RawClient(proxy.port())) {
            assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", next.call("version\r\n", "\r\n"));
        }
    }

    @Test
    void cpuAffinityRunsOneWorkerPerCore() throws Exception {
        List<MemcachedServer> master = startServers(1);
        startProxy("cpu_affinity = on\nthread_count = 7", "[memcached]\nextension = memcached.jar\nhosts = master\n"
                + KvproxyProcess.cluster("master", master));
        int cores = Runtime.getRuntime().availableProcessors();
        try (RawClient c = new RawClient(proxy.port())) {
            assertTrue(c.call("status\r\n", "\n\n").contains("Worker threads [" + cores + "]"));
            assertEquals("STORED\r\n", c.call("set aff:a 0 0 1\r\na\r\n", "\r\n"));
        }
        assertTrue(Await.until(java.time.Duration.ofSeconds(5), () -> proxy.log().contains("pinned to core " + (cores - 1))), proxy.log());
    }
}
