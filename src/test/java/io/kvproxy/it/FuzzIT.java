package io.kvproxy.it;

import static io.kvproxy.it.BinaryPackets.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated request streams, from a fixed seed so a failure can be replayed: whatever a client sends, no
 * worker fails, no backend connection falls out of step (a valid request afterwards gets its own correct
 * reply), and the daemon's memory stays bounded.
 */
@Timeout(180)
class FuzzIT {

    private static final long SEED = 20261121L;
    private static final int ITERATIONS = 2000;
    private static final int META_ITERATIONS = 2000;
    /** More than any data block a damaged seed's length can ask for (its longest number is 3600). */
    private static final int META_FILLER_LINES = 1900;

    @TempDir
    static Path dir;
    static final List<MemcachedServer> servers = new ArrayList<>();
    static KvproxyProcess proxy;

    /** A lone memcached, for the meta streams kvproxy must answer as it does. */
    static MemcachedServer reference;

    @BeforeAll
    static void start() throws Exception {
        proxy = KvproxyProcess.startOverMaster(dir, servers, 2, "max_packet = 1\nrecv_timeout = 2000");
        reference = MemcachedServer.withItemSizeMax("2m");
        servers.add(reference);
    }

    @AfterAll
    static void stop() throws Exception {
        KvproxyProcess.stopAll(proxy, servers);
    }

    private static byte[] textSeed(Random random) {
        String[] requests = {
            "set fz:a 0 0 5\r\nhello\r\n", "get fz:a fz:b fz:c\r\n", "gets fz:a\r\n", "add fz:b 3 0 2 noreply\r\nbb\r\n",
            "incr fz:n 5\r\n", "delete fz:b\r\n", "touch fz:a 10\r\n", "gat 10 fz:a fz:b\r\n", "cas fz:a 0 0 1 12\r\nx\r\n",
            "append fz:a 0 0 1\r\n!\r\n", "version\r\n", "stats\r\n", "verbosity 1\r\n", "flush_all 0 noreply\r\n", "status\r\n"};
        StringBuilder stream = new StringBuilder();
        for (int i = 0, n = 1 + random.nextInt(12); i < n; i++) {
            stream.append(requests[random.nextInt(requests.length)]);
        }
        return stream.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Meta requests over a few keys of their own ({@code prefix}), every command and most flags. */
    private static byte[] metaSeed(Random random, String prefix) {
        String a = prefix + "a";
        String b = prefix + "b";
        String encoded = java.util.Base64.getEncoder().encodeToString(b.getBytes(StandardCharsets.US_ASCII));
        String[] requests = {
            "ms " + a + " 5 T3600 F3\r\nhello\r\n", "mg " + a + " v k f s t O7\r\n", "mg " + b + " q v k\r\n", "mn\r\n",
            "ms " + encoded + " 2 b MA\r\nbb\r\n", "ms " + b + " 2 q ME\r\nxy\r\n", "mg " + encoded + " b v k\r\n",
            "md " + a + " q\r\n", "md " + b + " I T30\r\n", "ma " + prefix + "n D3 v\r\n", "ma " + prefix + "n N0 J5 MD\r\n",
            "mg " + a + " T3600 c h l\r\n", "me " + a + "\r\n", "ms " + a + " 3 C1 I\r\nabc\r\n", "mg " + b + " R30 v c\r\n",
            "ms " + b + " 0 MP Pp Ll\r\n\r\n", "mg " + a + " u v q Pp\r\n"};
        StringBuilder stream = new StringBuilder();
        for (int i = 0, n = 1 + random.nextInt(10); i < n; i++) {
            stream.append(requests[random.nextInt(requests.length)]);
        }
        return stream.append("mn\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Token-shaped damage to a meta stream: bytes replaced, inserted or deleted from the words of the
     * protocol, or the stream cut short. Never a digit, q or N, so that no mutation makes a length larger
     * than a value kvproxy takes, a TTL short enough to expire between the two servers, or the one reply
     * kvproxy deliberately withholds where memcached does not (a quiet ma that creates its counter).
     */
    private static byte[] mutateMeta(byte[] seed, Random random) {
        String alphabet = " \r\nvkbcfhlstuOTRMAPIDJSFWXZ=+/admegn!";
        StringBuilder bytes = new StringBuilder(new String(seed, StandardCharsets.ISO_8859_1));
        for (int m = 0, n = 1 + random.nextInt(3); m < n && bytes.length() > 0; m++) {
            int at = random.nextInt(bytes.length());
            char c = alphabet.charAt(random.nextInt(alphabet.length()));
            switch (random.nextInt(4)) {
                case 0 -> bytes.setCharAt(at, c);
                case 1 -> bytes.insert(at, c);
                case 2 -> bytes.deleteCharAt(at);
                default -> bytes.setLength(at);
            }
        }
        return bytes.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Everything {@code port} answers to {@code stream} sent at once, then empty lines enough to end any
     * data block a damaged length left open (memcached writes no reply while it waits for one, and drops
     * what it owes when the client then closes: kvproxy delivers them, so the comparison must not end
     * there) and an mn, then half-closed, until it closes.
     */
    private static String answerOf(int port, byte[] stream) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(stream);
            socket.getOutputStream().write(("\r\n".repeat(META_FILLER_LINES) + "mn\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1)
                    .replaceAll("(?<= )c\\d+", "c<cas>").replaceAll("(?<= )[tl]\\d+", "<time>")
                    .replaceAll("(cas|la|exp)=-?\\d+", "$1=<n>");
        }
    }

    private static byte[] binarySeed(Random random) {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (int i = 0, n = 1 + random.nextInt(12); i < n; i++) {
            switch (random.nextInt(7)) {
                case 0 -> stream.writeBytes(request(SET, flagsAndExpiry(1, 0), "fz:x", "value", i));
                case 1 -> stream.writeBytes(request(GETKQ, new byte[0], "fz:x", "", i));
                case 2 -> stream.writeBytes(request(GETQ, new byte[0], "fz:none", "", i));
                case 3 -> stream.writeBytes(request(INCREMENT, arithmetic(1, 5, 0), "fz:c", "", i));
                case 4 -> stream.writeBytes(request(DELETEQ, new byte[0], "fz:x", "", i));
                case 5 -> stream.writeBytes(request(SETQ, flagsAndExpiry(0, 0), "fz:y", "v".repeat(random.nextInt(300)), i));
                default -> stream.writeBytes(request(NOOP, new byte[0], "", "", i));
            }
        }
        return stream.toByteArray();
    }

    /** Flips, inserts, deletes, duplicates, truncates or corrupts length fields. */
    private static byte[] mutate(byte[] seed, Random random) {
        List<Byte> bytes = new ArrayList<>();
        for (byte b : seed) {
            bytes.add(b);
        }
        for (int m = 0, n = 1 + random.nextInt(4); m < n && !bytes.isEmpty(); m++) {
            int at = random.nextInt(bytes.size());
            switch (random.nextInt(6)) {
                case 0 -> bytes.set(at, (byte) random.nextInt(256));
                case 1 -> bytes.add(at, (byte) random.nextInt(256));
                case 2 -> bytes.remove(at);
                case 3 -> bytes.subList(at, bytes.size()).clear();
                case 4 -> bytes.add(at, (byte) "0123456789 \r\n".charAt(random.nextInt(13)));
                default -> {
                    for (int i = 0; i < 4 && at + i < bytes.size(); i++) {
                        bytes.set(at + i, (byte) 0xff);
                    }
                }
            }
        }
        byte[] result = new byte[bytes.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = bytes.get(i);
        }
        return result;
    }

    /** Sends garbage and reads whatever comes for a moment; the connection may be closed by the proxy. */
    private static void throwAt(byte[] garbage) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2000);
            socket.setSoTimeout(50);
            try {
                socket.getOutputStream().write(garbage);
                socket.shutdownOutput();
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[65536];
                while (in.read(buffer) >= 0) {
                    // drain until closed or quiet
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // A quiet or reset connection is a fine answer to garbage.
            }
        }
    }

    /** Damaged meta streams: kvproxy answers each with memcached's bytes (its own numbers masked), and stays in step. */
    @Test
    void mutatedMetaStreamsAnswerAsMemcachedDoes() throws Exception {
        Random random = new Random(SEED);
        for (int i = 0; i < META_ITERATIONS; i++) {
            byte[] stream = mutateMeta(metaSeed(random, "mf" + i + ":"), random);
            String printable = new String(stream, StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n");
            assertEquals(answerOf(reference.port(), stream), answerOf(proxy.port(), stream), "iteration " + i + ": " + printable);
            if (i % 50 == 49) {
                assertStillInStep(i);
            }
        }
        assertFalse(proxy.log().contains("unparseable reply") || proxy.log().contains("unexpected data from server"), proxy.log());
    }

    @Test
    void mutatedStreamsNeverBreakAWorkerOrABackend() throws Exception {
        Random random = new Random(SEED);
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] seed = switch (i % 3) {
                case 0 -> textSeed(random);
                case 1 -> binarySeed(random);
                default -> metaSeed(random, "fz:");
            };
            throwAt(mutate(seed, random));
            if (i % 50 == 49) {
                assertStillInStep(i);
            }
        }
        String log = proxy.log();
        assertFalse(log.contains("internal error") || log.contains("failed and is closed") || log.contains("failed and stops"), log);
        assertFalse(log.contains("unparseable reply") || log.contains("unexpected data from server"), "a backend fell out of step:\n" + log);
        long residentKb = Long.parseLong(Files.readAllLines(Path.of("/proc/" + proxy.pid() + "/status")).stream()
                .filter(line -> line.startsWith("VmRSS:")).findFirst().orElseThrow().replaceAll("\\D", ""));
        assertTrue(residentKb < 600 * 1024, "resident memory " + residentKb + " kB");
    }

    /**
     * A valid text and binary request on fresh connections get their own, correct replies. A miss is the
     * one other correct answer: a mutated {@code flush_all 0} may have become {@code flush_all 30}, a flush
     * that memcached carries out whenever its delay ends, so a miss is retried with a fresh set, and
     * anything else fails at once.
     */
    private static void assertStillInStep(int iteration) throws Exception {
        String value = "check" + iteration;
        String hit = "VALUE fz:check 0 " + value.length() + "\r\n" + value + "\r\nEND\r\n";
        for (int attempt = 1; ; attempt++) {
            boolean last = attempt == 3;
            try (RawClient c = new RawClient(proxy.port())) {
                assertEquals("STORED\r\n", c.call("set fz:check 0 0 " + value.length() + "\r\n" + value + "\r\n", "\r\n"));
                String reply = c.call("get fz:check\r\n", "END\r\n");
                if (reply.equals("END\r\n") && !last) {
                    continue;
                }
                assertEquals(hit, reply);
            }
            try (Socket socket = new Socket("127.0.0.1", proxy.port())) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(request(GETK, new byte[0], "fz:check", "", 4242));
                BinaryPackets.Reply reply = read(socket.getInputStream());
                assertEquals(4242, reply.opaque());
                if (reply.status() == KEY_NOT_FOUND && !last) {
                    continue;
                }
                assertEquals(value, reply.value(), reply.toString());
            }
            return;
        }
    }
}
