package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.command.TextCommandFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text multi-gets whose hits add up to far more than {@code max_packet} on one server are answered whole
 * and in the client's key order (misses and duplicates as memcached gives them), while a second client
 * on the same worker (thread_count 1: same backend connections) keeps being answered; no backend
 * connection is reset, no server ejected, and the daemon's resident memory stays well under the size of
 * the replies it streamed.
 */
@Timeout(300)
class LargeMultiGetIT {

    private static final int MAX_PACKET = 1 << 20;

    @TempDir
    static Path dir;
    static final List<MemcachedServer> servers = new ArrayList<>();
    static KvproxyProcess proxy;

    private final AtomicBoolean stopBackground = new AtomicBoolean();
    private final AtomicLong backgroundAnswers = new AtomicLong();
    private final ConcurrentLinkedQueue<String> backgroundErrors = new ConcurrentLinkedQueue<>();
    private Thread background;

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < 3; i++) {
            // 200 values of 1 MiB over three servers: more than the 64 MB the other tests give each one.
            servers.add(MemcachedServer.start(0, 160));
        }
        int port = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "thread_count = 1\nmax_packet = 1\nrecv_timeout = 2000",
                "[memcached]\nextension = memcached.jar\nhosts = master\nhash_tag = {}\n\n" + KvproxyProcess.cluster("master", servers)));
    }

    @AfterAll
    static void stop() throws Exception {
        KvproxyProcess.stopAll(proxy, servers);
    }

    /** A second client on the same worker: sets and gets small keys on every server for as long as a test runs. */
    @BeforeEach
    void startBackgroundClient() {
        background = new Thread(() -> {
            try (RawClient c = new RawClient(proxy.port())) {
                c.setReadTimeoutMillis(20_000);
                for (int i = 0; !stopBackground.get(); i++) {
                    String key = "bg:" + (i % 50);
                    String stored = c.call("set " + key + " 0 0 5\r\nhello\r\n", "\r\n");
                    String read = c.call("get " + key + "\r\n", "END\r\n");
                    if (!stored.equals("STORED\r\n") || !read.equals("VALUE " + key + " 0 5\r\nhello\r\nEND\r\n")) {
                        backgroundErrors.add(stored + read);
                    } else {
                        backgroundAnswers.incrementAndGet();
                    }
                }
            } catch (IOException e) {
                backgroundErrors.add(e.toString());
            }
        }, "background-client");
        background.start();
    }

    @AfterEach
    void checkNothingBroke() throws Exception {
        long before = backgroundAnswers.get();
        assertTrue(Await.until(java.time.Duration.ofSeconds(20), () -> backgroundAnswers.get() > before + 10 || !background.isAlive()),
                "the background client stalled");
        stopBackground.set(true);
        background.join(30_000);
        assertEquals(List.of(), List.copyOf(backgroundErrors), "the second client's requests failed");
        assertTrue(backgroundAnswers.get() > 0);
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("OK\r\n", c.call("flush_all 0\r\n", "\r\n"), "flush_all through every backend connection");
        }
        String log = proxy.log();
        assertFalse(log.contains(" closed (worker"), "a backend connection was reset:\n" + log);
        assertFalse(log.contains("ejected"), "a healthy server was ejected:\n" + log);
    }

    /** Value bytes that depend on the key and the position, so a block given to the wrong key shows. */
    private static byte[] value(String key, int length) {
        byte[] bytes = new byte[length];
        int seed = key.hashCode() & 0x7fff_ffff;
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) ('a' + (seed + i) % 26);
        }
        return bytes;
    }

    /** Stores {@code count} values of {@code length} bytes as {@code prefix}0, 1, …; returns each key's length, in key order. */
    private static Map<String, Integer> storeValues(String prefix, int count, int length) throws IOException {
        Map<String, Integer> lengths = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            lengths.put(prefix + i, length);
        }
        try (RawClient c = new RawClient(proxy.port())) {
            c.setReadTimeoutMillis(20_000);
            store(c, lengths);
        }
        return lengths;
    }

    private static void store(RawClient c, Map<String, Integer> lengths) throws IOException {
        for (Map.Entry<String, Integer> each : lengths.entrySet()) {
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(("set " + each.getKey() + " 0 0 " + each.getValue() + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            request.writeBytes(value(each.getKey(), each.getValue()));
            request.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            c.send(request.toByteArray());
            assertEquals("STORED\r\n", c.readUntil("\r\n"), each.getKey());
        }
    }

    /**
     * Sends {@code command} with {@code keys} on a fresh connection and checks the reply as it streams in:
     * one VALUE block per key that has a value, in the order asked, then END. Returns the reply's size.
     */
    private static long getAndCheck(String command, List<String> keys, Map<String, Integer> lengths) throws IOException, InterruptedException {
        return getAndCheck(command, keys, lengths, 0);
    }

    /** As above, the client starting to read only {@code readAfterMillis} after it sent the request (a slow client). */
    private static long getAndCheck(String command, List<String> keys, Map<String, Integer> lengths, long readAfterMillis)
            throws IOException, InterruptedException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2000);
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write((command + " " + String.join(" ", keys) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            Thread.sleep(readAfterMillis);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 256 * 1024);
            long bytes = 0;
            for (String key : keys) {
                Integer length = lengths.get(key);
                if (length == null) {
                    continue;
                }
                String line = readLine(in);
                String expected = "VALUE " + key + " 0 " + length;
                assertTrue(command.equals("gets") ? line.startsWith(expected + " ") : line.equals(expected),
                        "expected " + expected + ", got " + line);
                byte[] data = in.readNBytes(length + 2);
                assertEquals(length + 2, data.length, "value of " + key + " cut short");
                byte[] want = value(key, length);
                for (int i = 0; i < length; i++) {
                    if (data[i] != want[i]) {
                        throw new AssertionError("value of " + key + " differs at byte " + i);
                    }
                }
                assertEquals('\r', data[length]);
                assertEquals('\n', data[length + 1]);
                bytes += line.length() + 2 + data.length;
            }
            assertEquals("END", readLine(in));
            return bytes + 5;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("connection closed after \"" + line + "\"");
            }
            if (line.length() > 4096) {
                throw new IOException("no line end after \"" + line.substring(0, 80) + "\"");
            }
            line.append((char) b);
        }
        return line.toString().replaceFirst("\r$", "");
    }

    private static long residentKb() throws IOException {
        return Long.parseLong(Files.readAllLines(Path.of("/proc/" + proxy.pid() + "/status")).stream()
                .filter(line -> line.startsWith("VmRSS:")).findFirst().orElseThrow().replaceAll("\\D", ""));
    }

    /** Twelve values of 100 KB on one server (one hash tag): 1.2 MB of hits there, asked three times in a row. */
    @Test
    void twelveValuesOf100KbOnOneServer() throws Exception {
        Map<String, Integer> lengths = storeValues("{one}a", 12, 100_000);
        List<String> keys = new ArrayList<>(lengths.keySet());
        keys.add(3, "{one}missing");
        keys.add(7, "{one}a2");
        keys.add("{one}a0");
        for (int round = 0; round < 3; round++) {
            getAndCheck("get", keys, lengths);
        }
        getAndCheck("gets", keys, lengths);
        getAndCheck("get", List.of("{one}a5"), lengths);
    }

    /** pymemcache's case: 150 values of 25 KB over three servers, read by a real client library (xmemcached). */
    @Test
    void oneHundredFiftyValuesOf25KbThroughXmemcached() throws Exception {
        Map<String, Integer> lengths = storeValues("b:", 150, 25_000);
        List<String> keys = new ArrayList<>(lengths.keySet());
        getAndCheck("get", keys, lengths);
        XMemcachedClientBuilder builder = new XMemcachedClientBuilder(List.of(new InetSocketAddress("127.0.0.1", proxy.port())));
        builder.setCommandFactory(new TextCommandFactory());
        builder.setConnectionPoolSize(1);
        builder.setOpTimeout(20_000);
        MemcachedClient client = builder.build();
        try {
            Map<String, Object> read = client.get(keys, 20_000);
            Map<String, Object> expected = new HashMap<>();
            for (String key : keys) {
                expected.put(key, new String(value(key, 25_000), StandardCharsets.ISO_8859_1));
            }
            assertEquals(expected.keySet(), read.keySet());
            assertEquals(expected, read);
        } finally {
            client.shutdown();
        }
    }

    /**
     * Backpressure: a client that reads its 40 MiB reply only after a second, and one that never reads and
     * hangs up, make the servers wait (at most recv_timeout for the one that never reads), and nothing
     * else: the first gets everything, the second client's requests all succeed, no backend is reset.
     */
    @Test
    void clientsThatReadLateOrNeverHoldNothingUp() throws Exception {
        Map<String, Integer> lengths = storeValues("d:", 40, MAX_PACKET);
        List<String> keys = new ArrayList<>(lengths.keySet());
        String request = "get " + String.join(" ", keys) + "\r\n";
        try (RawClient never = new RawClient(proxy.port())) {
            never.send(request);
            long late = System.nanoTime();
            assertTrue(getAndCheck("get", keys, lengths, 1000) > 40L * MAX_PACKET);
            System.out.printf("a 40 MiB get read after 1 s behind one never read: %d ms%n", (System.nanoTime() - late) / 1_000_000);
        }
        assertTrue(Await.until(java.time.Duration.ofSeconds(10), () -> proxy.log().contains("delivered regardless")), proxy.log());
        getAndCheck("get", keys, lengths);
    }

    /** 200 values of 1 MiB (max_packet each) over three servers, with a miss and a duplicate, in one get. */
    @Test
    void twoHundredValuesOf1MbOverThreeServers() throws Exception {
        Map<String, Integer> lengths = storeValues("c:", 200, MAX_PACKET);
        long residentBeforeKb = residentKb();
        List<String> keys = new ArrayList<>(lengths.keySet());
        keys.add(100, "c:missing");
        keys.add(150, "c:17");
        long bytes;
        try {
            bytes = getAndCheck("get", keys, lengths);
        } catch (AssertionError | IOException e) {
            String log = proxy.log();
            throw new AssertionError(e.getMessage() + "\n" + log.substring(Math.max(0, log.length() - 4000)) + proxy.output(), e);
        }
        assertTrue(bytes > 200L * MAX_PACKET, "reply of " + bytes + " bytes");
        long residentAfterKb = residentKb();
        System.out.printf("200 x 1 MiB get: %d reply bytes; daemon RSS %d kB before, %d kB after%n", bytes, residentBeforeKb,
                residentAfterKb);
        // Buffering the reply would take 200 MB (more than the daemon's direct memory); streaming takes a few.
        assertTrue(residentAfterKb - residentBeforeKb < 64 * 1024 && residentAfterKb < 400 * 1024,
                "resident memory " + residentBeforeKb + " kB before, " + residentAfterKb + " kB after a " + bytes + "-byte reply");
    }
}
