package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Ring;
import io.kvproxy.route.RingNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No acknowledged write lost or shadowed: half-closed clients are answered and their writes replicated;
 * a server that was out is repaired before it takes traffic again, master or backup; and it takes traffic
 * only once every worker's connection to it is up. Real memcached servers, faults by signal.
 */
@Timeout(120)
class TrustIT {

    @TempDir
    Path dir;
    final List<MemcachedServer> master = new ArrayList<>();
    final List<MemcachedServer> backup = new ArrayList<>();
    KvproxyProcess proxy;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        for (MemcachedServer server : all()) {
            signal("CONT", server.pid());
            server.close();
            assertFalse(server.isAlive());
        }
    }

    private List<MemcachedServer> all() {
        List<MemcachedServer> servers = new ArrayList<>(master);
        servers.addAll(backup);
        return servers;
    }

    private void start(int masters, int backups, String kvproxyExtra) throws Exception {
        for (int i = 0; i < masters; i++) {
            master.add(MemcachedServer.start());
        }
        for (int i = 0; i < backups; i++) {
            backup.add(MemcachedServer.start());
        }
        int port = MemcachedServer.freePort();
        String extension = "[memcached]\nextension = memcached.jar\nhosts = master\n"
                + (backups > 0 ? "hosts_backup = backup\nsync_str = +\n" : "") + "\n"
                + KvproxyProcess.cluster("master", master) + (backups > 0 ? KvproxyProcess.cluster("backup", backup) : "");
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, kvproxyExtra, extension));
    }

    private static void signal(String name, long pid) throws Exception {
        Signals.send(name, pid);
    }

    /** A key the ring of {@code count} servers (ids 1.., weight 100) puts on server {@code index}. */
    private static String keyOn(int count, int index, String prefix) {
        List<RingNode> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(new RingNode(Integer.toString(i + 1), 100, i));
        }
        Ring ring = Ring.build(Distribution.KETAMA, HashFunction.MD5, null, nodes);
        for (int i = 0; ; i++) {
            if (ring.serverFor((prefix + i).getBytes(StandardCharsets.US_ASCII)) == index) {
                return prefix + i;
            }
        }
    }

    /** The value of {@code key} on one server, asked directly; null when it does not hold it. */
    private static String valueOn(MemcachedServer server, String key) throws Exception {
        try (RawClient direct = new RawClient(server.port())) {
            String reply = direct.call("get " + key + "\r\n", "END\r\n");
            return reply.startsWith("VALUE") ? reply.split("\r\n")[1] : null;
        }
    }

    private long stat(String name) throws Exception {
        try (RawClient c = new RawClient(proxy.port())) {
            for (String line : c.call("stats\r\n", "END\r\n").split("\r\n")) {
                if (line.startsWith("STAT " + name + " ")) {
                    return Long.parseLong(line.substring(name.length() + 6));
                }
            }
        }
        throw new AssertionError("no stat " + name);
    }

    private boolean statIs(String name, long expected) {
        try {
            return stat(name) == expected;
        } catch (Exception e) {
            return false;
        }
    }

    private boolean offline(MemcachedServer server, boolean expected) {
        try (RawClient c = new RawClient(proxy.port())) {
            return c.call("status\r\n", "\n\n").contains("  - " + server.address() + " [offline]") == expected;
        } catch (Exception e) {
            return false;
        }
    }

    /** Sends {@code request} (answered with one line) until {@code server} is reported out of the ring. */
    private boolean ejectedAfterRequests(RawClient c, MemcachedServer server, String request) throws Exception {
        return Await.until(Duration.ofSeconds(15), () -> {
            try {
                c.call(request, "\r\n");
            } catch (Exception e) {
                return false;
            }
            return offline(server, true);
        });
    }

    /** Sends {@code requests} in one write, shuts down the sending side, and reads until the proxy closes. */
    private String sendAndHalfClose(String requests) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2000);
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream replies = new ByteArrayOutputStream();
            byte[] buffer = new byte[65536];
            for (int read; (read = in.read(buffer)) >= 0; ) {
                replies.write(buffer, 0, read);
            }
            return replies.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }

    @Test
    void aHalfClosedClientGetsEveryReplyAndItsWritesAreReplicated() throws Exception {
        start(2, 2, "recv_timeout = 2000");
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("STORED\r\n", c.call("set hc 0 0 2\r\nhc\r\n", "\r\n"));
        }
        // 2,000 pipelined gets, then SHUT_WR: every one is answered, then the proxy closes (as memcached).
        String replies = sendAndHalfClose("get hc\r\n".repeat(2000));
        assertEquals(2000, count(replies, "VALUE hc 0 2\r\nhc\r\nEND\r\n"), replies.length() + " bytes of replies; " + proxy.log());

        StringBuilder sets = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            sets.append("set half:").append(i).append(" 0 0 1\r\nh\r\n");
        }
        assertEquals(1000, count(sendAndHalfClose(sets.toString()), "STORED\r\n"));
        assertTrue(Await.until(Duration.ofSeconds(10), () -> statIs("kvproxy_replication_in_flight", 0)));
        assertEquals(1001, stat("kvproxy_replication_accepted"), "the 1,000 sets and the first one");
        assertEquals(1001, stat("kvproxy_replicated"));
        for (int i = 0; i < 1000; i += 37) {
            String key = "half:" + i;
            assertEquals("h", valueOnCluster(backup, key), key);
        }
    }

    private static String valueOnCluster(List<MemcachedServer> cluster, String key) throws Exception {
        String found = null;
        for (MemcachedServer server : cluster) {
            String value = valueOn(server, key);
            if (value != null) {
                found = value;
            }
        }
        return found;
    }

    @Test
    void writesOfAClientThatClosesAtOnceAreStillReplicated() throws Exception {
        start(2, 2, "recv_timeout = 2000");
        StringBuilder writes = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            writes.append("set gone:").append(i).append(" 0 0 1\r\ng\r\n");
            writes.append("set gone:").append(i).append(" 0 0 1 noreply\r\nn\r\n");
            writes.append("set +sync:").append(i).append(" 0 0 1 noreply\r\ns\r\n");
            writes.append("set del:").append(i).append(" 0 0 1\r\nd\r\n");
        }
        try (RawClient c = new RawClient(proxy.port())) {
            c.send(writes.toString());
            StringBuilder replies = new StringBuilder();
            while (count(replies.toString(), "\r\n") < 1000) {
                replies.append(c.readUntil("\r\n"));
            }
            assertEquals(1000, count(replies.toString(), "STORED\r\n"), replies.toString());
        }
        assertTrue(Await.until(Duration.ofSeconds(10), () -> statIs("kvproxy_replication_in_flight", 0)));
        // Deletes with noreply, and the connection closed right after the last byte is sent.
        StringBuilder deletes = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            deletes.append("delete del:").append(i).append(" noreply\r\n");
        }
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.getOutputStream().write(deletes.toString().getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        }
        assertTrue(Await.until(Duration.ofSeconds(10), () -> statIs("kvproxy_replication_accepted", 2500) && statIs("kvproxy_replication_in_flight", 0)),
                "accepted " + stat("kvproxy_replication_accepted"));
        assertEquals(2500, stat("kvproxy_replicated"));
        for (int i = 0; i < 500; i += 7) {
            assertEquals("n", valueOnCluster(backup, "gone:" + i), "gone:" + i);
            assertEquals("s", valueOnCluster(backup, "+sync:" + i), "+sync:" + i);
            assertNull(valueOnCluster(backup, "del:" + i), "del:" + i);
            assertNull(valueOnCluster(master, "del:" + i), "del:" + i);
        }
    }

    /**
     * How a test writes and reads a key, as format strings (key, then for a write the value's length and
     * the value): the classic text commands, or meta ones with a base64 key. {@code probe} is answered
     * with one line whatever the server holds: the owner's ejection is awaited with it.
     */
    private record Dialect(String write, String written, String read, String readEnd, String probe) {

        String write(String key, String value) {
            return String.format(write, key, value.length(), value);
        }

        String read(String key) {
            return String.format(read, key);
        }

        String probe(String key) {
            return String.format(probe, key);
        }

        /** The value of {@code key} on one server, asked directly; null when it does not hold it. */
        String valueOn(MemcachedServer server, String key) throws Exception {
            try (RawClient direct = new RawClient(server.port())) {
                String reply = direct.call(read(key), readEnd);
                return reply.startsWith("VA") ? reply.split("\r\n")[1] : null;
            }
        }
    }

    private static final Dialect TEXT = new Dialect("set %1$s 0 0 %2$d\r\n%3$s\r\n", "STORED\r\n", "get %s\r\n", "END\r\n", "get %s\r\n");
    /** Keys given in base64 ({@code b}), whose decoded bytes text could not carry. */
    private static final Dialect META_BASE64 = new Dialect("ms %1$s %2$d b\r\n%3$s\r\n", "HD\r\n", "mg %s b v\r\nmn\r\n", "MN\r\n",
            "mg %s b\r\n");

    @Test
    void aKeyWrittenWhileItsServerWasOutIsNeverReadStaleAfterItRejoins() throws Exception {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            keys.add(keyOn(2, 1, "shadow" + i + ":"));
        }
        assertRepairedAfterTheRejoin(TEXT, keys);
    }

    /**
     * The same for meta writes of keys text cannot carry (a space in them, sent in base64): routed on the
     * decoded key, recorded as stand-in writes, and repaired with a base64 md on the owner and the stand-in.
     */
    @Test
    void aBase64KeyWrittenWhileItsServerWasOutIsRepairedToo() throws Exception {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            keys.add(java.util.Base64.getEncoder().encodeToString(keyOn(2, 1, "meta shadow" + i + ":").getBytes(StandardCharsets.US_ASCII)));
        }
        assertRepairedAfterTheRejoin(META_BASE64, keys);
    }

    /** {@code keys}, all owned by master 1, written before and while it is out; after it rejoins none reads stale. */
    private void assertRepairedAfterTheRejoin(Dialect dialect, List<String> keys) throws Exception {
        start(2, 0, "recv_timeout = 200\nfailover_threshold = 2\nfailover_interval = 1");
        MemcachedServer owner = master.get(1);
        MemcachedServer standIn = master.get(0);
        try (RawClient c = new RawClient(proxy.port())) {
            for (String key : keys) {
                assertEquals(dialect.written, c.call(dialect.write(key, "v1"), "\r\n"));
                assertEquals("v1", dialect.valueOn(owner, key), "routed to its owner");
            }
            signal("STOP", owner.pid());
            assertTrue(ejectedAfterRequests(c, owner, dialect.probe(keys.get(0))), "owner not ejected");
            for (String key : keys) {
                assertEquals(dialect.written, c.call(dialect.write(key, "v2"), "\r\n"), key);
            }
            assertEquals("v2", dialect.valueOn(standIn, keys.get(0)));
            signal("CONT", owner.pid());
            assertTrue(Await.until(Duration.ofSeconds(10), () -> offline(owner, false)), "owner did not rejoin");
            for (String key : keys) {
                String reply = c.call(dialect.read(key), dialect.readEnd);
                assertFalse(reply.contains("\r\nv1\r\n"), key + " read stale after the rejoin: " + reply);
                assertNull(dialect.valueOn(owner, key), key + " still on its owner");
                assertNull(dialect.valueOn(standIn, key), key + " still on its stand-in");
            }
        }
        assertTrue(stat("kvproxy_stand_in_writes") >= keys.size());
        assertEquals(0, stat("kvproxy_repair_pending"));
    }

    /**
     * A meta reply that comes after its request timed out is thrown away whole, its data block included,
     * though the request's pooled state has since served a classic one: the requests behind it get their
     * own replies.
     */
    @Test
    void aLateMetaValueIsNeverTakenForTheNextRequestsReply() throws Exception {
        start(1, 0, "recv_timeout = 200\nfailover_threshold = 1000");
        MemcachedServer server = master.get(0);
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("HD\r\n", c.call("ms late:a 5\r\nhello\r\n", "\r\n"));
            signal("STOP", server.pid());
            String timeout = "SERVER_ERROR backend timeout\r\n";
            assertEquals(timeout, c.call("mg late:a v\r\n", "\r\n"));
            assertEquals(timeout, c.call("set late:b 0 0 1\r\nb\r\n", "\r\n"));
            signal("CONT", server.pid());
            // The server answers both late (VA 5 and hello, then STORED) unless the proxy gave up on the
            // connection; either way none of it may reach the requests that follow.
            List<String> seen = new ArrayList<>();
            assertTrue(Await.until(Duration.ofSeconds(10), () -> {
                try {
                    String reply = c.call("mg late:a v\r\n", "\r\n");
                    reply += reply.equals("VA 5\r\n") ? c.readExactly(7) : "";
                    seen.add(reply);
                    return reply.equals("VA 5\r\nhello\r\n");
                } catch (Exception e) {
                    return false;
                }
            }), "late:a never read back: " + seen);
            for (String line : seen.subList(0, seen.size() - 1)) {
                assertTrue(line.startsWith("SERVER_ERROR "), "a reply that belongs to another request: " + seen);
            }
            assertEquals("STORED\r\n", c.call("set late:c 0 0 1\r\nc\r\n", "\r\n"));
            assertEquals("VA 1\r\nc\r\n", c.call("mg late:c v\r\n", "c\r\n"));
        }
        assertFalse(proxy.log().contains("unexpected data from server") || proxy.log().contains("unparseable"), proxy.log());
    }

    @Test
    void aBackupServersOutageLeavesNoStaleOrScatteredReplicas() throws Exception {
        start(2, 2, "recv_timeout = 200\nfailover_threshold = 2\nfailover_interval = 1");
        MemcachedServer hung = backup.get(1);
        MemcachedServer other = backup.get(0);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            keys.add(keyOn(2, 1, "bk" + i + ":"));
        }
        try (RawClient c = new RawClient(proxy.port())) {
            for (String key : keys) {
                assertEquals("STORED\r\n", c.call("set " + key + " 0 0 2\r\nv1\r\n", "\r\n"));
            }
            assertTrue(Await.until(Duration.ofSeconds(5), () -> {
                try {
                    return "v1".equals(valueOn(hung, keys.get(keys.size() - 1)));
                } catch (Exception e) {
                    return false;
                }
            }), "replicas not on the backup");
            signal("STOP", hung.pid());
            // Replicas to the hung backup time out, which takes it out of the ring.
            assertTrue(ejectedAfterRequests(c, hung, "set " + keys.get(0) + " 0 0 2\r\nv2\r\n"), "backup not ejected");
            for (int i = 1; i < 4; i++) {
                assertEquals("STORED\r\n", c.call("set " + keys.get(i) + " 0 0 2\r\nv2\r\n", "\r\n"));
            }
            for (String key : keys.subList(4, 12)) {
                assertEquals("STORED\r\n", c.call("set " + key + " 0 0 2\r\nv3\r\n", "\r\n"), key);
            }
            for (String key : keys.subList(12, 20)) {
                assertEquals("DELETED\r\n", c.call("delete " + key + "\r\n", "\r\n"), key);
            }
            for (String key : keys) {
                assertNull(valueOn(other, key), key + " scattered to another backup server");
            }
            signal("CONT", hung.pid());
            assertTrue(Await.until(Duration.ofSeconds(10), () -> offline(hung, false)), "backup did not rejoin");
            assertTrue(Await.until(Duration.ofSeconds(5), () -> statIs("kvproxy_repair_pending", 0) && statIs("kvproxy_replication_in_flight", 0)));
            for (String key : keys) {
                String onBackup = valueOn(hung, key);
                String onMaster = valueOnCluster(master, key);
                assertTrue(onBackup == null || onBackup.equals(onMaster),
                        key + ": backup holds " + onBackup + ", master " + onMaster);
            }
        }
        long accepted = stat("kvproxy_replication_accepted");
        assertEquals(accepted, stat("kvproxy_replicated") + stat("kvproxy_replication_dropped") + stat("kvproxy_replication_failed")
                + stat("kvproxy_replication_in_flight"));
        assertNotEquals(0, stat("kvproxy_replication_failed"));
    }

    @Test
    void aRestartedServerTakesTrafficOnlyOnceItCanServe() throws Exception {
        // At debug, a connection's failed reconnects are logged, with the delay to the next.
        start(2, 0, "recv_timeout = 200\nfailover_threshold = 2\nfailover_interval = 5\nthread_count = 2\nlog_level = debug");
        MemcachedServer dead = master.get(1);
        int port = dead.port();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            keys.add(keyOn(2, 1, "back" + i + ":"));
        }
        try (RawClient c = new RawClient(proxy.port())) {
            dead.close();
            assertTrue(ejectedAfterRequests(c, dead, "get " + keys.get(0) + "\r\n"), "not ejected");
            // Long enough down that the workers' reconnects have backed off to failover_interval.
            assertTrue(Await.until(Duration.ofSeconds(20), () -> proxy.log().contains("retry in 5000 ms")), proxy.log());
            master.set(1, MemcachedServer.start(port));
            assertTrue(Await.until(Duration.ofSeconds(15), () -> proxy.log().contains("server " + dead.address() + " rejoined")),
                    proxy.log());
        }
        // At once, from fresh connections (spread over both workers): every request is served.
        for (int round = 0; round < 8; round++) {
            try (RawClient c = new RawClient(proxy.port())) {
                for (String key : keys) {
                    assertEquals("STORED\r\n", c.call("set " + key + " 0 0 1\r\nb\r\n", "\r\n"), "round " + round + " " + key);
                }
            }
        }
    }
}
