package io.kvproxy.it;

import static io.kvproxy.it.BinaryPackets.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.it.BinaryPackets.Reply;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kvproxy against a lone memcached 1.6.18 on bad and edge-case input. Each case is sent, byte for byte,
 * to a memcached of its own ({@code -I 1m}, as kvproxy's {@code max_packet = 1}) and to kvproxy over
 * three masters and a backup, on fresh connections, followed by a valid request; the two must answer the
 * same bytes, the valid request included, so the state after (a get of the key) is the same too. The
 * few places where kvproxy deliberately differs from memcached say so, and why.
 */
@Timeout(120)
class MemcachedParityIT {

    /** Over max_packet (1 MB) and over what memcached -I 1m takes. */
    private static final int BIG = 1_500_000;
    private static final String TOO_LARGE = "SERVER_ERROR object too large for cache\r\n";
    private static final String BAD_FORMAT = "CLIENT_ERROR bad command line format\r\n";
    private static final String DELETE_USAGE = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
    private static final String LONG_KEY = "k".repeat(251);
    /** The valid request after every case, and its answer: a key each side holds. */
    private static final String MARK = "get parity:mark\r\n";
    private static final String MARK_REPLY = "VALUE parity:mark 0 4\r\nMARK\r\nEND\r\n";

    @TempDir
    static Path dir;
    static SideBySidePool pool;
    static MemcachedServer backup;
    static MemcachedServer reference;
    static KvproxyProcess proxy;

    @BeforeAll
    static void start() throws Exception {
        pool = SideBySidePool.start(dir, "2m", "max_packet = 1");
        reference = pool.reference;
        backup = pool.backup;
        proxy = pool.proxy;
        for (int side : new int[] {reference.port(), proxy.port()}) {
            try (RawClient c = new RawClient(side)) {
                assertEquals("STORED\r\n", c.call("set parity:mark 0 0 4\r\nMARK\r\n", "\r\n"));
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        SideBySidePool.stop(pool);
    }

    /** {@code request} then the mark's get on a fresh connection: everything answered, VERSION's number blanked. */
    private static String replyOf(int port, String request) throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send(request + MARK);
            String reply = c.readUntil(MARK_REPLY);
            return reply.substring(0, reply.length() - MARK_REPLY.length()).replaceAll("VERSION [^\r]+\r\n", "VERSION <v>\r\n");
        }
    }

    /** Asserts that memcached and kvproxy answer {@code request} with {@code expected} (what memcached was seen to say). */
    private static void bothAnswer(String request, String expected) throws Exception {
        assertEquals(expected, replyOf(reference.port(), request), () -> "memcached, to " + printable(request));
        assertEquals(expected, replyOf(proxy.port(), request), () -> "kvproxy, to " + printable(request));
    }

    /** What {@code port} sends after {@code request} until it closes the connection. */
    private static String untilClosed(int port, String request) throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send(request);
            return c.readToEnd();
        }
    }

    private static void bothClose(String request, String expectedBeforeClose) throws Exception {
        assertEquals(expectedBeforeClose, untilClosed(reference.port(), request), () -> "memcached, to " + printable(request));
        assertEquals(expectedBeforeClose, untilClosed(proxy.port(), request), () -> "kvproxy, to " + printable(request));
    }

    private static String printable(String s) {
        String shown = s.length() > 200 ? s.substring(0, 100) + "…(" + s.length() + " chars)…" + s.substring(s.length() - 60) : s;
        return shown.replace("\r", "\\r").replace("\n", "\\n");
    }

    @Test
    void anOversizedSetIsRefusedSwallowedAndLosesTheOldValue() throws Exception {
        String big = "x".repeat(BIG);
        bothAnswer("set os:a 0 0 1\r\na\r\nset os:a 0 0 " + BIG + "\r\n" + big + "\r\nget os:a\r\n", "STORED\r\n" + TOO_LARGE + "END\r\n");
        // noreply: no error line either.
        bothAnswer("set os:b 0 0 1\r\nb\r\nset os:b 0 0 " + BIG + " noreply\r\n" + big + "\r\nget os:b\r\n", "STORED\r\nEND\r\n");
        // The swallowed bytes are the declared length and two more, whatever they are.
        bothAnswer("set os:c 0 0 1\r\nc\r\nset os:c 0 0 " + BIG + "\r\n" + big + "XYget os:c\r\n", "STORED\r\n" + TOO_LARGE + "END\r\n");
        // The other writes keep the old value.
        for (String write : new String[] {"add", "replace", "append", "prepend"}) {
            for (String noreply : new String[] {"", " noreply"}) {
                bothAnswer("set os:d 0 0 1\r\nd\r\n" + write + " os:d 0 0 " + BIG + noreply + "\r\n" + big + "\r\nget os:d\r\n",
                        "STORED\r\n" + (noreply.isEmpty() ? TOO_LARGE : "") + "VALUE os:d 0 1\r\nd\r\nEND\r\n");
            }
        }
        bothAnswer("set os:e 0 0 1\r\ne\r\ncas os:e 0 0 " + BIG + " 1\r\n" + big + "\r\nget os:e\r\n",
                "STORED\r\n" + TOO_LARGE + "VALUE os:e 0 1\r\ne\r\nEND\r\n");
    }

    @Test
    void theUnlinkOfARefusedSetReachesTheBackup() throws Exception {
        String big = "x".repeat(BIG);
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("STORED\r\n", c.call("set ub:t 0 0 1\r\nt\r\n", "\r\n"));
            assertTrue(Await.until(Duration.ofSeconds(10), () -> onBackup("ub:t")), "the set reached the backup");
            c.send("set ub:t 0 0 " + BIG + " noreply\r\n" + big + "\r\n");
            assertEquals("END\r\n", c.call("get ub:t\r\n", "END\r\n"));
            assertTrue(Await.until(Duration.ofSeconds(10), () -> !onBackup("ub:t")), "the backup lost the value too");
        }
        try (Socket socket = binaryClient(proxy.port())) {
            socket.getOutputStream().write(request(SET, flagsAndExpiry(0, 0), "ub:b", "b", 1));
            assertEquals(0, read(socket.getInputStream()).status());
            assertTrue(Await.until(Duration.ofSeconds(10), () -> onBackup("ub:b")), "the SET reached the backup");
            socket.getOutputStream().write(request(SETQ, flagsAndExpiry(0, 0), "ub:b", big, 2));
            assertEquals(0x0003, read(socket.getInputStream()).status());
            assertTrue(Await.until(Duration.ofSeconds(10), () -> !onBackup("ub:b")), "the backup lost the value too");
        }
    }

    private static boolean onBackup(String key) {
        try (RawClient direct = new RawClient(backup.port())) {
            return direct.call("get " + key + "\r\n", "END\r\n").startsWith("VALUE");
        } catch (Exception e) {
            throw new IllegalStateException("backup unreadable", e);
        }
    }

    private static Socket binaryClient(int port) throws Exception {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** The reply packets to {@code packets} and a final NOOP (opaque 99). */
    private static List<Reply> binaryReplies(int port, byte[]... packets) throws Exception {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (byte[] packet : packets) {
            stream.writeBytes(packet);
        }
        stream.writeBytes(request(NOOP, new byte[0], "", "", 99));
        try (Socket socket = binaryClient(port)) {
            socket.getOutputStream().write(stream.toByteArray());
            return readUntilOpaque(socket.getInputStream(), 99);
        }
    }

    @Test
    void binaryOversizedSetsAnswerAsMemcachedDoes() throws Exception {
        // A value over max_packet, and a body too large even to hold (swallowed as it comes).
        for (int size : new int[] {BIG, 3 * 1024 * 1024}) {
            String big = "y".repeat(size);
            for (int opcode : new int[] {SET, SETQ, 0x02 /* ADD */, APPENDQ}) {
                String key = "bo:" + opcode + ":" + size;
                byte[] extras = opcode == APPENDQ ? new byte[0] : flagsAndExpiry(0, 0);
                byte[][] packets = {request(SET, flagsAndExpiry(0, 0), key, "old", 1), request(opcode, extras, key, big, 2),
                    request(GETK, new byte[0], key, "", 3)};
                List<Reply> expected = binaryReplies(reference.port(), packets);
                assertEquals(expected, binaryReplies(proxy.port(), packets), "opcode 0x" + Integer.toHexString(opcode) + ", " + size + " bytes");
                // memcached: SET and SETQ lose the old value, and even SETQ is told "Too large.".
                assertEquals(0x0003, expected.get(1).status());
                assertEquals(opcode == SET || opcode == SETQ ? KEY_NOT_FOUND : 0, expected.get(2).status());
            }
        }
    }

    @Test
    void noreplyErrorsAreSilentWhereMemcachedIsSilent() throws Exception {
        bothAnswer("delete nr:a 10 noreply\r\n", "");
        bothAnswer("delete nr:a 10\r\n", DELETE_USAGE);
        bothAnswer("delete nr:a 0 0\r\n", DELETE_USAGE);
        bothAnswer("delete nr:a 0 0 0\r\n", "ERROR\r\n");
        bothAnswer("delete " + LONG_KEY + " noreply\r\n", "");
        bothAnswer("delete " + LONG_KEY + " 1\r\n", DELETE_USAGE);
        bothAnswer("incr nr:a abc noreply\r\n", "");
        bothAnswer("incr nr:a noreply\r\n", "");
        bothAnswer("incr " + LONG_KEY + " 1 noreply\r\n", "");
        bothAnswer("incr nr:a abc\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n");
        bothAnswer("touch nr:a abc noreply\r\n", "");
        bothAnswer("touch nr:a noreply\r\n", "");
        bothAnswer("touch nr:a abc\r\n", "CLIENT_ERROR invalid exptime argument\r\n");
        // A refused storage line is silent, but its data block is then read as a command, and answered.
        bothAnswer("set nr:a 0 0 abc noreply\r\nab\r\n", "ERROR\r\n");
        bothAnswer("set nr:a 0 0 noreply\r\nab\r\n", "ERROR\r\n");
        bothAnswer("set " + LONG_KEY + " 0 0 1 noreply\r\nx\r\n", "ERROR\r\n");
        // A bad data chunk: silent, the declared bytes and two more consumed, the old value kept.
        bothAnswer("set nr:b 0 0 1\r\nb\r\nset nr:b 0 0 2 noreply\r\nabX\nget nr:b\r\n", "STORED\r\nVALUE nr:b 0 1\r\nb\r\nEND\r\n");
        bothAnswer("set nr:b 0 0 2 noreply\r\nabcd\r\n", "ERROR\r\n");
        bothAnswer("set nr:b 0 0 2\r\nabcd\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
        bothAnswer("flush_all abc noreply\r\n", "");
        bothAnswer("flush_all abc\r\n", "CLIENT_ERROR invalid exptime argument\r\n");
        bothAnswer("flush_all noreply x\r\n", "CLIENT_ERROR invalid exptime argument\r\n");
        bothAnswer("flush_all 0 0 0\r\n", "ERROR\r\n");
        bothAnswer("verbosity abc noreply\r\n", "");
        bothAnswer("verbosity noreply\r\n", "");
        bothAnswer("verbosity 0 noreply\r\n", "");
        bothAnswer("verbosity abc\r\n", BAD_FORMAT);
        bothAnswer("verbosity 0 2\r\n", "OK\r\n");
        bothAnswer("verbosity\r\n", "ERROR\r\n");
        bothAnswer("verbosity 1 2 3\r\n", "ERROR\r\n");
        bothAnswer("version foo bar\r\n", "VERSION <v>\r\n");
        bothClose("quit foo\r\nget parity:mark\r\n", "");
    }

    /** memcached's version leads kvproxy's reply (clients parse only that), kvproxy's own follows it. */
    @Test
    void versionIsMemcachedsWithKvproxysAfterIt() throws Exception {
        try (RawClient direct = new RawClient(reference.port()); RawClient proxied = new RawClient(proxy.port())) {
            assertEquals("VERSION 1.6.18\r\n", direct.call("version\r\n", "\r\n"));
            assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", proxied.call("version foo\r\n", "\r\n"));
        }
    }

    /** Flags and exptimes past 32 bits are taken, as memcached's strtoul/strtol take them (low 32 bits kept). */
    @Test
    void wideFlagsAndExptimesAreTakenAsMemcachedTakesThem() throws Exception {
        bothAnswer("set wide:a 4294967296 4294967306 1\r\na\r\nget wide:a\r\n", "STORED\r\nVALUE wide:a 0 1\r\na\r\nEND\r\n");
        bothAnswer("set wide:b 4294967295 0 1\r\nb\r\nget wide:b\r\n", "STORED\r\nVALUE wide:b 4294967295 1\r\nb\r\nEND\r\n");
        bothAnswer("touch wide:b 4294967396\r\nget wide:b\r\n", "TOUCHED\r\nVALUE wide:b 4294967295 1\r\nb\r\nEND\r\n");
        bothAnswer("gat 4294967396 wide:b\r\n", "VALUE wide:b 4294967295 1\r\nb\r\nEND\r\n");
        bothAnswer("touch wide:b 9223372036854775808\r\n", "CLIENT_ERROR invalid exptime argument\r\n");
        bothAnswer("set wide:c 18446744073709551616 0 1\r\nc\r\n", BAD_FORMAT + "ERROR\r\n");
    }

    /** cache_memlimit reaches every server, as flush_all does; the servers' own answer comes back. */
    @Test
    void cacheMemlimitIsBroadcast() throws Exception {
        bothAnswer("cache_memlimit 100\r\n", "OK\r\n");
        bothAnswer("cache_memlimit 100 noreply\r\n", "");
        bothAnswer("cache_memlimit 4\r\n", "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n");
        bothAnswer("cache_memlimit 4 noreply\r\n", "");
        bothAnswer("cache_memlimit abc\r\n", "ERROR\r\n");
        bothAnswer("cache_memlimit\r\n", "ERROR\r\n");
        bothAnswer("cache_memlimit 64\r\n", "OK\r\n");
        List<MemcachedServer> behind = new java.util.ArrayList<>(pool.masters);
        behind.add(backup);
        for (MemcachedServer server : behind) {
            try (RawClient direct = new RawClient(server.port())) {
                assertTrue(direct.call("stats\r\n", "END\r\n").contains("STAT limit_maxbytes " + 64 * 1024 * 1024 + "\r\n"),
                        "the limit reached " + server.address());
            }
        }
    }

    @Test
    void flushAllTakesItsDelayFromTheFirstArgument() throws Exception {
        // "flush_all 1000000 20" flushes in 11 days, not now: the mark is still there after it.
        bothAnswer("flush_all 1000000 20\r\n", "OK\r\n");
    }

    @Test
    void dataLengthsAreRangeCheckedAsMemcachedDoes() throws Exception {
        for (String length : new String[] {"-1", "-2147483649", "2147483646", "2147483647", "2147483648",
                "9223372036854775807", "9223372036854775808", "18446744073709551617", "2x", "++1", "abc"}) {
            // Refused as a bad line; the data block is then read as a command.
            bothAnswer("set ln:a 0 0 " + length + "\r\nab\r\nget ln:a\r\n", BAD_FORMAT + "ERROR\r\nEND\r\n");
        }
        bothAnswer("set ln:b 0 0 0\r\n\r\nget ln:b\r\n", "STORED\r\nVALUE ln:b 0 0\r\n\r\nEND\r\n");
        bothAnswer("set ln:c 0 0 -0\r\n\r\nget ln:c\r\n", "STORED\r\nVALUE ln:c 0 0\r\n\r\nEND\r\n");
        bothAnswer("set ln:d +3 +0 +2\r\nab\r\nget ln:d\r\n", "STORED\r\nVALUE ln:d 3 2\r\nab\r\nEND\r\n");
        bothAnswer("set ln:e 0 0 1\r\n5\r\nincr ln:e +2\r\ntouch ln:e +100\r\n", "STORED\r\n7\r\nTOUCHED\r\n");

        // Deliberately not memcached's: it keeps the low 32 bits of a length, so 2^32 + 2 reads as 2
        // and stores; kvproxy refuses the line rather than forward a length its backend reads otherwise.
        String truncated = "set ln:f 0 0 4294967298\r\nab\r\nget ln:f\r\n";
        assertEquals("STORED\r\nVALUE ln:f 0 2\r\nab\r\nEND\r\n", replyOf(reference.port(), truncated));
        assertEquals(BAD_FORMAT + "ERROR\r\nEND\r\n", replyOf(proxy.port(), truncated));

        // max_packet is kvproxy's own bound (memcached -I 1m takes a little less, for its item header):
        // exactly 1 MB is stored, one byte more refused and swallowed.
        int maxPacket = 1024 * 1024;
        String value = "v".repeat(maxPacket);
        assertEquals("STORED\r\nVALUE ln:g 0 " + maxPacket + "\r\n" + value + "\r\nEND\r\n",
                replyOf(proxy.port(), "set ln:g 0 0 " + maxPacket + "\r\n" + value + "\r\nget ln:g\r\n"));
        assertEquals(TOO_LARGE + "END\r\n", replyOf(proxy.port(),
                "set ln:g 0 0 " + (maxPacket + 1) + "\r\n" + "v".repeat(maxPacket + 1) + "\r\nget ln:g\r\n"));
    }

    @Test
    void anHttpRequestLineClosesTheConnection() throws Exception {
        bothClose("GET / HTTP/1.0\r\nget parity:mark\r\n", "");
        bothClose("HEAD / HTTP/1.1\r\n\r\n", "");
        bothClose("xyz HTTP/1.1\n", "");
        // A browser's POST whose body is a set: nothing of it is executed.
        bothClose("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\nset ht:a 0 0 1\r\nx\r\n", "");
        bothAnswer("get ht:a\r\n", "END\r\n");
        StringBuilder words = new StringBuilder("xx");
        for (int i = 0; i < 21; i++) {
            words.append(" a").append(i);
        }
        bothClose(words + " HTTP/1.1 foo\r\n", "");
        // Lines memcached does not take for HTTP.
        bothAnswer("get / HTTP/1.0\r\n", "END\r\n");
        bothAnswer("G HTTP/1.0\r\n", "ERROR\r\n");
        bothAnswer("mx / HTTP/1.1\r\n", "ERROR\r\n");
        bothAnswer("GET / http/1.1\r\n", "ERROR\r\n");
        bothAnswer("GET /HTTP/1.1\r\n", "ERROR\r\n");
        bothAnswer("delete / HTTP/1.1\r\n", DELETE_USAGE);
        bothAnswer(words + " b HTTP/1.1\r\n", "ERROR\r\n");

        // Replies to the requests before the HTTP line are delivered (memcached drops those still in its
        // output batch), nothing after it is executed, and the refusal is counted.
        long before = httpRefused();
        assertEquals("STORED\r\nVALUE ht:b 0 1\r\nb\r\nEND\r\n",
                untilClosed(proxy.port(), "set ht:b 0 0 1\r\nb\r\nget ht:b\r\nPUT / HTTP/1.1\r\nset ht:c 0 0 1\r\nc\r\n"));
        assertEquals("END\r\n", replyOf(proxy.port(), "get ht:c\r\n"));
        assertTrue(httpRefused() >= before + 1, "http_refused counted");
    }

    private static long httpRefused() throws Exception {
        try (RawClient c = new RawClient(proxy.port())) {
            for (String line : c.call("stats\r\n", "END\r\n").split("\r\n")) {
                if (line.startsWith("STAT kvproxy_http_refused ")) {
                    return Long.parseLong(line.substring("STAT kvproxy_http_refused ".length()));
                }
            }
        }
        throw new AssertionError("no http_refused in stats");
    }
}
