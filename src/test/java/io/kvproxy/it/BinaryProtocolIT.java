package io.kvproxy.it;

import static io.kvproxy.it.BinaryPackets.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.it.BinaryPackets.Reply;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.rubyeye.xmemcached.GetsResponse;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.command.BinaryCommandFactory;
import net.spy.memcached.BinaryConnectionFactory;
import net.spy.memcached.CASResponse;
import net.spy.memcached.CASValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binary protocol end to end: kvproxy over three memcached servers must look to a binary client
 * exactly like one memcached holding every key.
 */
@Timeout(60)
class BinaryProtocolIT {

    @TempDir
    static Path dir;
    static final List<MemcachedServer> servers = new ArrayList<>();
    /** A lone memcached: the reference for what a client should see. */
    static MemcachedServer reference;
    static KvproxyProcess proxy;

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < 3; i++) {
            servers.add(MemcachedServer.start());
        }
        reference = MemcachedServer.start();
        int port = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "",
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + KvproxyProcess.cluster("master", servers)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        for (MemcachedServer server : servers) {
            server.close();
        }
        reference.close();
    }

    /** Sends {@code stream} to {@code port}; reads replies up to the one with {@code lastOpaque}. */
    private static List<Reply> exchange(int port, byte[] stream, int lastOpaque) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(stream);
            return readUntilOpaque(socket.getInputStream(), lastOpaque);
        }
    }

    @Test
    void quietPipelineOverThreeServersReadsAsOneMemcached() throws Exception {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        int opaque = 1;
        for (int i = 0; i < 30; i++) {
            stream.writeBytes(request(SETQ, flagsAndExpiry(i, 0), "qp:" + i, "value-" + i, opaque++));
        }
        stream.writeBytes(request(SETQ, flagsAndExpiry(0, 0), "qp:text", "not a number", opaque++));
        for (int i = 0; i < 40; i++) {
            stream.writeBytes(request(i % 2 == 0 ? GETKQ : GETQ, new byte[0], "qp:" + i, "", opaque++));
        }
        stream.writeBytes(request(INCREMENTQ, arithmetic(1, 0, 0), "qp:text", "", opaque++));
        stream.writeBytes(request(DELETEQ, new byte[0], "qp:missing", "", opaque++));
        stream.writeBytes(request(APPENDQ, new byte[0], "qp:missing", "x", opaque++));
        stream.writeBytes(request(DELETEQ, new byte[0], "qp:1", "", opaque++));
        stream.writeBytes(request(GETK, new byte[0], "qp:1", "", opaque++));
        stream.writeBytes(request(GETK, new byte[0], "qp:2", "", opaque++));
        int last = opaque;
        stream.writeBytes(request(NOOP, new byte[0], "", "", last));

        List<Reply> expected = exchange(reference.port(), stream.toByteArray(), last);
        List<Reply> actual = exchange(proxy.port(), stream.toByteArray(), last);
        assertEquals(expected, actual);
        // 30 hits, 3 errors, a GETK miss, a GETK hit, the NOOP: quiet successes and misses withheld.
        assertEquals(36, actual.size(), actual.toString());
        int[] keysPerServer = new int[servers.size()];
        for (int i = 0; i < 30; i++) {
            for (int s = 0; s < servers.size(); s++) {
                try (RawClient direct = new RawClient(servers.get(s).port())) {
                    if (direct.call("get qp:" + i + "\r\n", "END\r\n").startsWith("VALUE")) {
                        keysPerServer[s]++;
                    }
                }
            }
        }
        assertTrue(keysPerServer[0] > 0 && keysPerServer[1] > 0 && keysPerServer[2] > 0, "keys should span every server");
    }

    @Test
    void moreQuietRequestsThanTheSessionKeepsInFlight() throws Exception {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.writeBytes(request(SET, flagsAndExpiry(0, 0), "bp:hit", "h", 1));
        for (int i = 0; i < 5000; i++) {
            stream.writeBytes(request(GETKQ, new byte[0], i % 100 == 0 ? "bp:hit" : "bp:miss" + i, "", 10 + i));
        }
        stream.writeBytes(request(NOOP, new byte[0], "", "", 99999));
        List<Reply> replies = exchange(proxy.port(), stream.toByteArray(), 99999);
        // The SET, 50 hits, the NOOP; the 4,950 misses withheld.
        assertEquals(52, replies.size());
        assertEquals(List.of(10, 110, 210), replies.subList(1, 4).stream().map(Reply::opaque).toList());
    }

    @Test
    void incrementWithInitialValueAndDoNotCreate() throws Exception {
        byte[] stream = concat(
                request(INCREMENT, arithmetic(5, 100, 0), "ar:n", "", 1),
                request(INCREMENT, arithmetic(5, 100, 0), "ar:n", "", 2),
                request(INCREMENT, arithmetic(1, 7, 0xffffffff), "ar:none", "", 3),
                request(0x06, arithmetic(1000, 0, 0), "ar:n", "", 4));
        List<Reply> replies = exchange(proxy.port(), stream, 4);
        assertEquals(List.of(0, 0, 1, 0), replies.stream().map(Reply::status).toList());
        assertEquals(100, java.nio.ByteBuffer.wrap(replies.get(0).value().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)).getLong());
        assertEquals(105, java.nio.ByteBuffer.wrap(replies.get(1).value().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)).getLong());
        assertEquals(0, java.nio.ByteBuffer.wrap(replies.get(3).value().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)).getLong());
    }

    @Test
    void flushReachesEveryServer() throws Exception {
        long[] before = new long[servers.size()];
        for (int s = 0; s < servers.size(); s++) {
            before[s] = flushCount(servers.get(s));
        }
        List<Reply> replies = exchange(proxy.port(), concat(request(FLUSH, new byte[0], "", "", 9), request(NOOP, new byte[0], "", "", 10)), 10);
        assertEquals(0, replies.get(0).status());
        assertEquals(FLUSH, replies.get(0).opcode());
        for (int s = 0; s < servers.size(); s++) {
            assertEquals(before[s] + 1, flushCount(servers.get(s)), "flush reached " + servers.get(s).address());
        }
    }

    private static long flushCount(MemcachedServer server) throws Exception {
        try (RawClient direct = new RawClient(server.port())) {
            for (String line : direct.call("stats\r\n", "END\r\n").split("\r\n")) {
                if (line.startsWith("STAT cmd_flush ")) {
                    return Long.parseLong(line.substring("STAT cmd_flush ".length()));
                }
            }
        }
        throw new AssertionError("no cmd_flush");
    }

    @Test
    void badMagicClosesAfterTheEarlierReplies() throws Exception {
        byte[] bad = request(NOOP, new byte[0], "", "", 2);
        bad[0] = 0x42;
        try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(concat(request(GETK, new byte[0], "bm:none", "", 1), bad));
            InputStream in = socket.getInputStream();
            Reply miss = read(in);
            assertEquals(1, miss.status());
            assertEquals("bm:none", miss.key());
            assertEquals(-1, in.read());
        }
    }

    @Test
    void xmemcachedInBinaryMode() throws Exception {
        XMemcachedClientBuilder builder = new XMemcachedClientBuilder(List.of(new InetSocketAddress("127.0.0.1", proxy.port())));
        builder.setCommandFactory(new BinaryCommandFactory());
        builder.setOpTimeout(5000);
        MemcachedClient client = builder.build();
        try {
            assertTrue(client.set("xb:a", 0, "alpha"));
            assertEquals("alpha", client.get("xb:a"));
            assertFalse(client.add("xb:a", 0, "x"));
            assertTrue(client.replace("xb:a", 0, "beta"));
            assertTrue(client.append("xb:a", "!"));
            assertTrue(client.prepend("xb:a", "<"));
            assertEquals("<beta!", client.get("xb:a"));
            GetsResponse<String> gets = client.gets("xb:a");
            assertFalse(client.cas("xb:a", 0, "no", gets.getCas() + 1));
            assertTrue(client.cas("xb:a", 0, "yes", gets.getCas()));
            assertEquals(10, client.incr("xb:n", 1, 10));
            assertEquals(11, client.incr("xb:n", 1, 10));
            assertEquals(6, client.decr("xb:n", 5));
            assertTrue(client.touch("xb:a", 100));
            assertEquals("yes", client.getAndTouch("xb:a", 100));
            assertTrue(client.delete("xb:a"));
            assertNull(client.get("xb:a"));
            Map<String, String> written = new LinkedHashMap<>();
            for (int i = 0; i < 200; i++) {
                written.put("xb:" + i, "v" + i);
                client.setWithNoReply("xb:" + i, 0, "v" + i);
            }
            assertEquals("v199", client.get("xb:199"));
            List<String> keys = new ArrayList<>(written.keySet());
            keys.add("xb:missing");
            assertEquals(written, client.get(keys));
            assertEquals("1.6.18 kvproxy-0.1.0", client.getVersions().values().iterator().next());
            assertTrue(client.getStats().values().iterator().next().containsKey("curr_connections"));
            client.flushAll();
            assertNull(client.get("xb:1"));
        } finally {
            client.shutdown();
        }
    }

    @Test
    void spymemcachedInBinaryMode() throws Exception {
        net.spy.memcached.MemcachedClient client = new net.spy.memcached.MemcachedClient(new BinaryConnectionFactory(),
                List.of(new InetSocketAddress("127.0.0.1", proxy.port())));
        try {
            assertTrue(client.set("sp:a", 0, "alpha").get(5, TimeUnit.SECONDS));
            assertEquals("alpha", client.get("sp:a"));
            CASValue<Object> cas = client.gets("sp:a");
            assertEquals(CASResponse.EXISTS, client.cas("sp:a", cas.getCas() + 1, "no"));
            assertEquals(CASResponse.OK, client.cas("sp:a", cas.getCas(), "yes"));
            assertEquals(CASResponse.NOT_FOUND, client.cas("sp:none", 1, "x"));
            assertEquals(42, client.incr("sp:n", 1, 42));
            assertEquals(43, client.incr("sp:n", 1, 42));
            assertEquals(-1, client.incr("sp:none", 1));
            Map<String, Object> written = new LinkedHashMap<>();
            for (int i = 0; i < 200; i++) {
                written.put("sp:" + i, "v" + i);
                client.set("sp:" + i, 0, "v" + i);
            }
            assertTrue(client.set("sp:last", 0, "x").get(5, TimeUnit.SECONDS));
            List<String> keys = new ArrayList<>(written.keySet());
            keys.add("sp:missing");
            assertEquals(written, client.getBulk(keys));
            assertTrue(client.delete("sp:a").get(5, TimeUnit.SECONDS));
            assertNull(client.get("sp:a"));
            assertNotEquals(0, client.getVersions().size());
            assertTrue(client.flush().get(5, TimeUnit.SECONDS));
            assertNull(client.get("sp:1"));
        } finally {
            client.shutdown(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTextOnlyPortRefusesBinaryClientsInTheirOwnProtocol() throws Exception {
        Path textDir = dir.resolve("text-only");
        java.nio.file.Files.createDirectories(textDir);
        int port = MemcachedServer.freePort();
        try (KvproxyProcess textOnly = KvproxyProcess.start(textDir, port, KvproxyProcess.config(port, textDir, "",
                "[memcached]\nextension = memcached.jar\nhosts = master\nproto = text\n\n" + KvproxyProcess.cluster("master", servers)))) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(request(NOOP, new byte[0], "", "", 77));
                Reply refusal = read(socket.getInputStream());
                assertEquals(0x0083, refusal.status());
                assertEquals(77, refusal.opaque());
                assertTrue(refusal.value().contains("proto=text"));
                assertEquals(-1, socket.getInputStream().read());
            }
            try (RawClient text = new RawClient(port)) {
                assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", text.call("version\r\n", "\r\n"));
            }
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    @Test
    void repliesCarryTheClientsOpaqueAndCas() throws Exception {
        List<Reply> replies = exchange(proxy.port(), concat(
                request(SET, flagsAndExpiry(3, 0), "oc:a", "v", 0x12345678),
                request(GETK, new byte[0], "oc:a", "", 0x7fffffff)), 0x7fffffff);
        assertEquals(0x12345678, replies.get(0).opaque());
        assertNotEquals(0, replies.get(0).cas());
        assertEquals(replies.get(0).cas(), replies.get(1).cas());
        assertArrayEquals(new byte[] {0, 0, 0, 3}, replies.get(1).extras());
    }
}
