package io.kvproxy.it;

import static io.kvproxy.it.BinaryPackets.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.it.BinaryPackets.Reply;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Master → backup replication against real memcached clusters: 2 master, 2 backup and 1 read server. */
@Timeout(120)
class ReplicationIT {

    @TempDir
    Path dir;
    final List<MemcachedServer> master = new ArrayList<>();
    final List<MemcachedServer> backup = new ArrayList<>();
    MemcachedServer read;
    KvproxyProcess proxy;

    @BeforeEach
    void startServers() throws Exception {
        for (int i = 0; i < 2; i++) {
            master.add(MemcachedServer.start());
            backup.add(MemcachedServer.start());
        }
        read = MemcachedServer.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        for (MemcachedServer server : concat(master, backup, List.of(read))) {
            server.close();
            assertTrue(!server.isAlive());
        }
    }

    private static List<MemcachedServer> concat(List<MemcachedServer> a, List<MemcachedServer> b, List<MemcachedServer> c) {
        List<MemcachedServer> all = new ArrayList<>(a);
        all.addAll(b);
        all.addAll(c);
        return all;
    }

    private void startProxy(String kvproxyExtra, String extensionExtra) throws Exception {
        int port = MemcachedServer.freePort();
        // No test here waits for a timeout: a generous one keeps a loaded machine from failing replicas.
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "recv_timeout = 2000\n" + kvproxyExtra,
                "[memcached]\nextension = memcached.jar\nhosts = master\nhosts_backup = backup\nsync_str = +\n"
                        + extensionExtra + "\n" + KvproxyProcess.cluster("master", master) + KvproxyProcess.cluster("backup", backup)));
    }

    /** The value of {@code key} on a cluster, asked of its servers directly; null when none holds it. */
    private static String valueOn(List<MemcachedServer> cluster, String key) throws Exception {
        String found = null;
        for (MemcachedServer server : cluster) {
            try (RawClient direct = new RawClient(server.port())) {
                String reply = direct.call("get " + key + "\r\n", "END\r\n");
                if (reply.startsWith("VALUE")) {
                    found = reply.split("\r\n")[1];
                }
            }
        }
        return found;
    }

    private String status() throws Exception {
        try (RawClient c = new RawClient(proxy.port())) {
            return c.call("status\r\n", "\n\n");
        }
    }

    private static long figure(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + " [")) {
                return Long.parseLong(line.substring(name.length() + 2, line.indexOf(']')));
            }
        }
        throw new AssertionError(name + " not in " + status);
    }

    private boolean queueEmpty() {
        try {
            return figure(status(), "Size of async queue") == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void asyncWritesReachTheBackupInBothProtocols() throws Exception {
        startProxy("", "");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            text.append("set as:t").append(i).append(" 0 0 ").append(("t" + i).length()).append(i % 3 == 0 ? " noreply" : "")
                    .append("\r\nt").append(i).append("\r\n");
        }
        text.append("delete as:t7\r\nincr as:n 1\r\nset as:n 0 0 1\r\n5\r\nincr as:n 10\r\ntouch as:t8 100\r\n");
        try (RawClient c = new RawClient(proxy.port())) {
            c.send(text + "version\r\n");
            c.readUntil("VERSION 1.6.18 kvproxy-0.1.0\r\n");
            String gets = c.call("gets as:t9\r\n", "END\r\n");
            String cas = gets.split("\r\n")[0].split(" ")[4];
            assertEquals("STORED\r\n", c.call("cas as:t9 0 0 3 " + cas + "\r\ncas\r\n", "\r\n"));
            assertEquals("NOT_STORED\r\n", c.call("add as:t10 0 0 3\r\nadd\r\n", "\r\n"));
        }
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        for (int i = 0; i < 200; i++) {
            binary.writeBytes(request(i % 2 == 0 ? SETQ : SET, flagsAndExpiry(7, 0), "as:b" + i, "b" + i, i));
        }
        binary.writeBytes(request(DELETEQ, new byte[0], "as:b3", "", 500));
        binary.writeBytes(request(NOOP, new byte[0], "", "", 501));
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(binary.toByteArray());
            readUntilOpaque(socket.getInputStream(), 501);
        }
        assertTrue(Await.until(Duration.ofSeconds(10), this::queueEmpty), status());
        for (int i = 0; i < 300; i++) {
            String expected = i == 7 ? null : i == 9 ? "cas" : "t" + i;
            assertEquals(expected, valueOn(master, "as:t" + i), "master as:t" + i);
            assertEquals(expected, valueOn(backup, "as:t" + i), "backup as:t" + i);
        }
        for (int i = 0; i < 200; i++) {
            String expected = i == 3 ? null : "b" + i;
            assertEquals(expected, valueOn(backup, "as:b" + i), "backup as:b" + i);
        }
        assertEquals("15", valueOn(backup, "as:n"));
        assertNoReplicaLost();
    }

    @Test
    void syncWritesAreOnTheBackupWhenTheReplyArrives() throws Exception {
        startProxy("", "");
        try (RawClient c = new RawClient(proxy.port())) {
            for (int i = 0; i < 50; i++) {
                assertEquals("STORED\r\n", c.call("set +s" + i + " 0 0 2\r\nv" + (i % 10) + "\r\n", "\r\n"));
                assertEquals("v" + (i % 10), valueOn(backup, "+s" + i));
            }
            assertEquals("DELETED\r\n", c.call("delete +s1\r\n", "\r\n"));
            assertEquals(null, valueOn(backup, "+s1"));
        }
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request(SET, flagsAndExpiry(0, 0), "+bin", "sync", 1));
            Reply reply = read(socket.getInputStream());
            assertEquals(0, reply.status());
            assertEquals("sync", valueOn(backup, "+bin"));
        }
    }

    @Test
    void aStoppedBackupFailsSyncWritesAndCountsAsyncOnesWhileTheMasterServes() throws Exception {
        startProxy("", "");
        for (MemcachedServer server : backup) {
            server.close();
        }
        try (RawClient c = new RawClient(proxy.port())) {
            assertTrue(Await.until(Duration.ofSeconds(5), () -> {
                try {
                    return c.call("set +down 0 0 1\r\nx\r\n", "\r\n").equals("SERVER_ERROR backup write failed\r\n");
                } catch (Exception e) {
                    return false;
                }
            }));
            for (int i = 0; i < 20; i++) {
                assertEquals("STORED\r\n", c.call("set down:" + i + " 0 0 1\r\nx\r\n", "\r\n"));
                assertEquals("VALUE down:" + i + " 0 1\r\nx\r\nEND\r\n", c.call("get down:" + i + "\r\n", "END\r\n"));
            }
        }
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request(SETQ, flagsAndExpiry(0, 0), "+qdown", "x", 9));
            socket.getOutputStream().write(request(NOOP, new byte[0], "", "", 10));
            List<Reply> replies = readUntilOpaque(socket.getInputStream(), 10);
            assertEquals(0x0084, replies.get(0).status());
            assertEquals("backup write failed", replies.get(0).value());
        }
        String status = status();
        assertTrue(figure(status, "Async replication failed") >= 20, status);
        assertTrue(figure(status, "Sync replication failed") >= 2, status);
        assertTrue(proxy.log().contains("replica not applied, key kept for repair"), proxy.log());
    }

    /** Puts {@code value} on every backup server directly, the key's owner among them: a copy the master does not have. */
    private void plantOnBackup(String key, String value) throws Exception {
        for (MemcachedServer server : backup) {
            try (RawClient direct = new RawClient(server.port())) {
                assertEquals("STORED\r\n", direct.call("set " + key + " 0 0 " + value.length() + "\r\n" + value + "\r\n", "\r\n"));
            }
        }
    }

    private void assertNoReplicaLost() throws Exception {
        String status = status();
        assertEquals(0, figure(status, "Async replication failed"), status);
        assertEquals(0, figure(status, "Async replication dropped"), status);
    }

    /** How many servers of a cluster hold {@code key}, asked directly. */
    private static int copiesOn(List<MemcachedServer> cluster, String key) throws Exception {
        int copies = 0;
        for (MemcachedServer server : cluster) {
            try (RawClient direct = new RawClient(server.port())) {
                copies += direct.call("get " + key + "\r\n", "END\r\n").startsWith("VALUE") ? 1 : 0;
            }
        }
        return copies;
    }

    /** The remaining TTL a backup server reports for {@code key} (-1: none), or null when none holds it. */
    private String ttlOnBackup(String key) throws Exception {
        for (MemcachedServer server : backup) {
            try (RawClient direct = new RawClient(server.port())) {
                String reply = direct.call("mg " + key + " t\r\n", "\r\n");
                if (reply.startsWith("HD t")) {
                    return reply.substring(4, reply.length() - 2);
                }
            }
        }
        return null;
    }

    @Test
    void metaWritesReachTheBackupAsTheirSafeReplicas() throws Exception {
        startProxy("", "");
        plantOnBackup("mr:vivified", "old");
        plantOnBackup("mr:won", "old");
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("HD\r\n", c.call("ms mr:set 3 T0 F5\r\nset\r\n", "\r\n"));
            c.send("ms mr:quiet 5 q\r\nquiet\r\n");
            assertEquals("HD\r\nHD\r\n", c.call("ms mr:app 1\r\na\r\nms mr:app 1 MA q\r\nb\r\nms mr:app 1 MP\r\nc\r\n", "HD\r\nHD\r\n"));
            String cas = c.call("ms mr:cas 1 c\r\n1\r\n", "\r\n").trim().substring(4);
            assertEquals("HD\r\n", c.call("ms mr:cas 3 C" + cas + "\r\ncas\r\n", "\r\n"));
            assertEquals("EX\r\n", c.call("ms mr:cas 5 C1\r\nnever\r\n", "\r\n"));
            assertEquals("HD\r\n", c.call("ms mr:add 3 ME\r\nadd\r\n", "\r\n"));
            assertEquals("HD\r\n", c.call("ms mr:del 1\r\nd\r\nmd mr:del q\r\nmn\r\n", "MN\r\n").replace("MN\r\n", ""));
            assertEquals("VA 2\r\n15\r\n", c.call("ms mr:n 1\r\n5\r\nma mr:n q D3\r\nma mr:n D7 v\r\n", "15\r\n").substring(4));
            assertEquals("VA 1\r\n7\r\n", c.call("ma mr:vivified N0 J7 v\r\n", "7\r\n"));
            assertEquals("HD\r\n", c.call("ms mr:ttl 1 T0\r\nt\r\n", "\r\n"));
            assertEquals("HD\r\n", c.call("mg mr:ttl T1000\r\n", "\r\n"));
            assertEquals("EN\r\n", c.call("mg mr:ttl2 T1000\r\n", "\r\n"));
            assertEquals("VA 0 W\r\n\r\n", c.call("mg mr:won N30 v\r\n", "\r\n\r\n"));
            String encoded = java.util.Base64.getEncoder().encodeToString("mr:binary".getBytes());
            assertEquals("HD\r\n", c.call("ms " + encoded + " 3 b\r\nbin\r\n", "\r\n"));
        }
        assertTrue(Await.until(Duration.ofSeconds(10), this::queueEmpty), status());
        assertEquals("set", valueOn(backup, "mr:set"));
        assertEquals("quiet", valueOn(backup, "mr:quiet"));
        assertEquals("cab", valueOn(backup, "mr:app"));
        assertEquals("cas", valueOn(backup, "mr:cas"), "a meta cas reaches the backup as a set");
        assertEquals("add", valueOn(backup, "mr:add"));
        assertEquals(null, valueOn(backup, "mr:del"));
        assertEquals("15", valueOn(backup, "mr:n"));
        assertEquals("7", valueOn(master, "mr:vivified"));
        // The owner's copy is deleted; the other backup server's planted one is no replica's business.
        assertEquals(backup.size() - 1, copiesOn(backup, "mr:vivified"), "a counter the master made from J: the backup's older one is deleted");
        assertEquals(backup.size() - 1, copiesOn(backup, "mr:won"), "the master made a stub: the backup's copy is deleted");
        String ttl = ttlOnBackup("mr:ttl");
        assertTrue(ttl != null && Integer.parseInt(ttl) > 900, "the backup's copy was touched: t" + ttl);
        assertEquals(null, ttlOnBackup("mr:ttl2"));
        assertEquals("bin", valueOn(backup, "mr:binary"), "a base64 key is stored decoded on the backup");
        assertNoReplicaLost();
    }

    @Test
    void syncMetaWritesWaitForTheBackupAndSayWhenItFailed() throws Exception {
        startProxy("", "");
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("HD\r\n", c.call("ms +m 2\r\nv1\r\n", "\r\n"));
            assertEquals("v1", valueOn(backup, "+m"));
            assertEquals("MN\r\n", c.call("ms +mq 2 q\r\nv2\r\nmn\r\n", "\r\n"));
            assertEquals("v2", valueOn(backup, "+mq"));
            assertEquals("HD\r\n", c.call("md +m\r\n", "\r\n"));
            assertEquals(null, valueOn(backup, "+m"));
        }
        for (MemcachedServer server : backup) {
            server.close();
        }
        try (RawClient c = new RawClient(proxy.port())) {
            String failed = "SERVER_ERROR backup write failed\r\n";
            assertTrue(Await.until(Duration.ofSeconds(5), () -> {
                try {
                    return c.call("ms +down 1\r\nx\r\n", "\r\n").equals(failed);
                } catch (Exception e) {
                    return false;
                }
            }));
            // Errors are always returned, quiet or not.
            assertEquals(failed + "MN\r\n", c.call("ms +down 1 q\r\nx\r\nmn\r\n", "MN\r\n"));
            assertEquals(failed, c.call("ma +counter N0 J1 v\r\n", "\r\n"));
            assertEquals("VA 1\r\nx\r\n", c.call("mg +down v\r\n", "x\r\n"), "the master has the write");
            assertEquals(failed, c.call("md +down q\r\n", "\r\n"));
            assertEquals("EN\r\n", c.call("mg +down v\r\n", "\r\n"), "the master has the delete");
        }
        assertTrue(figure(status(), "Sync replication failed") >= 4, status());
    }

    @Test
    void aFullQueueDropsAndCountsButTheMasterHasEverything() throws Exception {
        startProxy("async_size = 2\nthread_count = 1", "");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            text.append("set qf:").append(i).append(" 0 0 1 noreply\r\nx\r\n");
        }
        try (RawClient c = new RawClient(proxy.port())) {
            c.send(text + "version\r\n");
            c.readUntil("VERSION 1.6.18 kvproxy-0.1.0\r\n");
        }
        assertTrue(Await.until(Duration.ofSeconds(10), this::queueEmpty));
        long dropped = figure(status(), "Async replication dropped");
        assertTrue(dropped > 0, status());
        int onBackup = 0;
        for (int i = 0; i < 2000; i += 10) {
            assertEquals("x", valueOn(master, "qf:" + i));
            onBackup += valueOn(backup, "qf:" + i) != null ? 1 : 0;
        }
        assertTrue(onBackup < 200, "some writes were dropped");
        assertTrue(proxy.log().contains("queue full"), proxy.log());
    }

    @Test
    void setThenDeleteOfOneKeyUnderLoadLeavesTheBackupWithout() throws Exception {
        startProxy("", "");
        StringBuilder text = new StringBuilder();
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 50; i++) {
                text.append("set od:").append(i).append(" 0 0 2 noreply\r\nr").append(round % 10).append("\r\n");
                text.append("delete od:").append(i).append(" noreply\r\n");
            }
        }
        try (RawClient c = new RawClient(proxy.port())) {
            c.send(text + "version\r\n");
            c.readUntil("VERSION 1.6.18 kvproxy-0.1.0\r\n");
        }
        assertTrue(Await.until(Duration.ofSeconds(10), this::queueEmpty));
        for (int i = 0; i < 50; i++) {
            assertEquals(null, valueOn(master, "od:" + i));
            assertEquals(null, valueOn(backup, "od:" + i));
        }
    }

    /** The size an {@code me} reply gives. */
    private static int sizeOf(String debugReply) {
        return Integer.parseInt(debugReply.substring(debugReply.indexOf("size=") + 5).trim());
    }

    @Test
    void readsGoToTheReadClusterAndFlushReachesBothClusters() throws Exception {
        int port = MemcachedServer.freePort();
        Files.createDirectories(dir);
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "",
                "[memcached]\nextension = memcached.jar\nhosts = master\nhosts_backup = backup\nhosts_read = read\n\n"
                        + KvproxyProcess.cluster("master", master) + KvproxyProcess.cluster("backup", backup)
                        + KvproxyProcess.cluster("read", List.of(read))));
        try (RawClient direct = new RawClient(read.port()); RawClient c = new RawClient(port)) {
            assertEquals("STORED\r\n", direct.call("set rd:a 0 0 4\r\nread\r\n", "\r\n"));
            assertEquals("STORED\r\n", c.call("set rd:a 0 0 6\r\nmaster\r\n", "\r\n"));
            assertEquals("VALUE rd:a 0 4\r\nread\r\nEND\r\n", c.call("get rd:a\r\n", "END\r\n"));
            assertTrue(c.call("gets rd:a\r\n", "END\r\n").startsWith("VALUE rd:a 0 6 "));
            // Meta: an mg that changes nothing reads the read cluster; with c (a CAS) or T (a touch) the master.
            assertEquals("VA 4\r\nread\r\n", c.call("mg rd:a v\r\n", "\r\nread\r\n"));
            assertEquals("VA 4 s4\r\nread\r\n", c.call("mg cmQ6YQ== b v s\r\n", "\r\nread\r\n"));
            assertTrue(c.call("mg rd:a v c\r\n", "\r\nmaster\r\n").startsWith("VA 6 c"));
            assertEquals("VA 6\r\nmaster\r\n", c.call("mg rd:a v T100\r\n", "\r\nmaster\r\n"));
            // me tells of the master's item, not of the read server's copy (a value 2 bytes shorter).
            String viaProxy = c.call("me rd:a\r\n", "\r\n");
            String onRead = direct.call("me rd:a\r\n", "\r\n");
            assertEquals(sizeOf(onRead) + 2, sizeOf(viaProxy), viaProxy + " / " + onRead);
            assertTrue(Await.until(Duration.ofSeconds(5), () -> {
                try {
                    return "master".equals(valueOn(backup, "rd:a"));
                } catch (Exception e) {
                    return false;
                }
            }));
            assertEquals("OK\r\n", c.call("flush_all\r\n", "\r\n"));
            assertEquals(null, valueOn(master, "rd:a"));
            assertEquals(null, valueOn(backup, "rd:a"));
        }
    }
}
