package io.kvproxy.redis.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kvproxy.redis.resp.RedisRequest.Outcome;
import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The request parser against what redis-server 7.0.15 does with the same bytes (recorded from a real
 * server on a loopback port: the replies, and whether it closed), each stream fed whole, split in two at
 * every byte, and one byte at a time.
 */
@Timeout(60)
class RedisRequestParserTest {

    private static final int BUFFER = 256 * 1024;

    /** Parses {@code stream} delivered in chunks cut at {@code cuts}; describes every outcome. */
    private static List<String> parse(byte[] stream, int maxCapacity, boolean authRequired, int... cuts) {
        Buffer in = new Buffer(16, maxCapacity);
        RedisRequestParser parser = new RedisRequestParser();
        parser.authenticationRequired(authRequired);
        RedisRequest request = new RedisRequest();
        List<String> seen = new ArrayList<>();
        try {
            SplitFeed.feed(stream, in, cuts, buffer -> {
                while (true) {
                    Outcome outcome = parser.parse(buffer, request);
                    if (outcome == Outcome.NEED_MORE) {
                        return true;
                    }
                    seen.add(describe(buffer, request, outcome));
                    buffer.skip(request.length());
                    if (outcome == Outcome.ERROR && request.closeAfterError()) {
                        return false;
                    }
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return seen;
    }

    private static String describe(Buffer in, RedisRequest request, Outcome outcome) {
        if (outcome == Outcome.ERROR) {
            return request.error() + (request.closeAfterError() ? " +close" : "");
        }
        StringBuilder text = new StringBuilder(request.isInline() ? "inline:" : "");
        for (int i = 0; i < request.argCount(); i++) {
            text.append(i == 0 ? "" : "|").append(in.toString(request.argIndex(in, i), request.argLength(i)));
        }
        return text.toString();
    }

    private static List<String> parseEverySplit(String stream, int maxCapacity, boolean authRequired) {
        byte[] bytes = stream.getBytes(StandardCharsets.ISO_8859_1);
        List<String> whole = parse(bytes, maxCapacity, authRequired);
        // Long streams: every split point would take minutes; a stride still cuts every field somewhere.
        int stride = bytes.length > 4096 ? 997 : 1;
        for (int cut = 1; cut < bytes.length; cut += stride) {
            assertEquals(whole, parse(bytes, maxCapacity, authRequired, cut), "split at byte " + cut + " of " + printable(stream));
        }
        if (bytes.length <= 4096) {
            assertEquals(whole, parse(bytes, maxCapacity, authRequired, SplitFeed.everyByte(bytes.length)),
                    "one byte at a time: " + printable(stream));
        }
        return whole;
    }

    private static String printable(String s) {
        String shown = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return shown.replace("\r", "\\r").replace("\n", "\\n");
    }

    private static void assertOutcomes(String stream, String... expected) {
        assertEquals(List.of(expected), parseEverySplit(stream, BUFFER, false));
    }

    @Test
    void respArraysOfBulkStrings() {
        assertOutcomes("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nxy\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n",
                "PING", "SET|k|v\r\nxy", "GET|");
        // Binary-safe: a value may hold anything, protocol bytes included.
        assertOutcomes("*2\r\n$4\r\nECHO\r\n$12\r\n*1\r\n$4\r\nPING\r\n", "ECHO|*1\r\n$4\r\nPING");
    }

    @Test
    void bytesAfterALengthAndAfterAValueAreSkippedUnreadAsRedisServerDoes() {
        // redis-server 7.0.15 answered both PINGs.
        assertOutcomes("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", "PING", "PING");
        assertOutcomes("*1\rX$4\rXPING\r\n", "PING");
    }

    @Test
    void emptyArraysAndEmptyLinesAreIgnored() {
        assertOutcomes("*0\r\n*-1\r\n\r\n\n*1\r\n$4\r\nPING\r\n", "PING");
    }

    @Test
    void badCountsAndLengthsAreRedisServersProtocolErrors() {
        assertOutcomes("*01\r\n$4\r\nPING\r\n", RedisRequestParser.INVALID_MULTIBULK + " +close");
        assertOutcomes("*1x\r\n", RedisRequestParser.INVALID_MULTIBULK + " +close");
        assertOutcomes("*-0\r\n", RedisRequestParser.INVALID_MULTIBULK + " +close");
        assertOutcomes("*+1\r\n", RedisRequestParser.INVALID_MULTIBULK + " +close");
        assertOutcomes("*2147483648\r\n", RedisRequestParser.INVALID_MULTIBULK + " +close");
        assertOutcomes("*1\r\n$-1\r\n", RedisRequestParser.INVALID_BULK + " +close");
        assertOutcomes("*1\r\n$04\r\nPING\r\n", RedisRequestParser.INVALID_BULK + " +close");
        assertOutcomes("*1\r\n$536870913\r\n", RedisRequestParser.INVALID_BULK + " +close");
        assertOutcomes("*1\r\n+4\r\n", "-ERR Protocol error: expected '$', got '+' +close");
        assertOutcomes("*1\r\n\r\n", "-ERR Protocol error: expected '$', got ' ' +close");
        // Replies to what came before are not lost.
        assertOutcomes("*1\r\n$4\r\nPING\r\n*1\r\n:4\r\n*1\r\n$4\r\nPING\r\n", "PING", "-ERR Protocol error: expected '$', got ':' +close");
    }

    @Test
    void theLargestCountsAreAcceptedAndWaitedFor() {
        // redis-server 7 takes arrays up to 2^31 - 1 elements and strings up to 512 MB: it waits for them.
        assertOutcomes("*2147483647\r\n$4\r\nPING\r\n");
        assertOutcomes("*1\r\n$536870912\r\n", RedisRequestParser.TOO_LARGE);
    }

    @Test
    void linesLongerThan64KbAreRefused() {
        assertOutcomes("*" + "1".repeat(64 * 1024 + 1) + "\r\n", RedisRequestParser.BIG_COUNT + " +close");
        assertOutcomes("*1\r\n$" + "1".repeat(64 * 1024 + 1) + "\r\n", RedisRequestParser.BIG_BULK_COUNT + " +close");
        assertOutcomes("PING " + "a".repeat(64 * 1024) + "\r\n", RedisRequestParser.BIG_INLINE + " +close");
        assertOutcomes("PING " + "a".repeat(64 * 1024 - 6) + "\r\n", "inline:PING|" + "a".repeat(64 * 1024 - 6));
        // Without its end: refused as soon as more than 64 KB has come.
        assertOutcomes("GET " + "a".repeat(64 * 1024 - 3), RedisRequestParser.BIG_INLINE + " +close");
        assertOutcomes("GET " + "a".repeat(64 * 1024 - 4));
    }

    @Test
    void inlineCommandsAreSplitAsSdssplitargsDoes() {
        assertOutcomes("PING\r\nset  k \t v\nGET k\r\n", "inline:PING", "inline:set|k|v", "inline:GET|k");
        assertOutcomes("ECHO \"\\x41\\n\\q\"\r\n", "inline:ECHO|A\nq");
        assertOutcomes("ECHO 'a\\'b' \"x y\"z\r\n", "-ERR Protocol error: unbalanced quotes in request +close");
        assertOutcomes("ECHO 'a\\'b' \"x y\"\r\n", "inline:ECHO|a'b|x y");
        assertOutcomes("ECHO a\"b c\"d\r\n", "-ERR Protocol error: unbalanced quotes in request +close");
        assertOutcomes("ECHO a\"b c\" d\r\n", "inline:ECHO|ab c|d");
        assertOutcomes("ECHO \"a\r\n", RedisRequestParser.UNBALANCED + " +close");
        assertOutcomes("ECHO 'a\r\n", RedisRequestParser.UNBALANCED + " +close");
        assertOutcomes("ECHO \"\\xZZ\\\\\" ''\r\n", "inline:ECHO|xZZ\\|");
        // A leading vertical tab is a blank, one inside a word is not (redis-server: unknown command 'ECHO\x0bx').
        assertOutcomes("\u000bECHO\u000bx\r\n", "inline:ECHO\u000bx");
        // A NUL ends the line's C string.
        assertOutcomes("ECHO a\u0000b c\r\nPING\r\n", "inline:ECHO|a", "inline:PING");
        // A '$' line is an inline command like any other (redis-server: unknown command '$4').
        assertOutcomes("$4\r\n", "inline:$4");
    }

    @Test
    void beforeAuthenticationArraysAndStringsAreSmall() {
        String eleven = "*11\r\n" + "$1\r\na\r\n".repeat(11);
        assertEquals(List.of(RedisRequestParser.UNAUTHENTICATED_COUNT + " +close"), parseEverySplit(eleven, BUFFER, true));
        String ten = "*10\r\n" + "$1\r\na\r\n".repeat(10);
        assertEquals(List.of("a|a|a|a|a|a|a|a|a|a"), parseEverySplit(ten, BUFFER, true));
        String big = "*2\r\n$4\r\nAUTH\r\n$16385\r\n" + "p".repeat(16385) + "\r\n";
        assertEquals(List.of(RedisRequestParser.UNAUTHENTICATED_LENGTH + " +close"), parseEverySplit(big, BUFFER, true));
        assertEquals(List.of("AUTH|" + "p".repeat(16385)), parseEverySplit(big, BUFFER, false));
    }

    @Test
    void aRequestLargerThanTheBufferIsRefusedAndItsBytesDropped() {
        int capacity = 1024;
        String value = "v".repeat(2000);
        String stream = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000\r\n" + value + "\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assertEquals(List.of(RedisRequestParser.TOO_LARGE, "GET|k"), parseEverySplit(stream, capacity, false));
        // Many small arguments add up the same way; the arguments after the refusal are dropped too.
        String many = "*301\r\n$4\r\nMGET\r\n" + "$3\r\nkey\r\n".repeat(300) + "*1\r\n$4\r\nPING\r\n";
        assertEquals(List.of(RedisRequestParser.TOO_LARGE, "PING"), parseEverySplit(many, capacity, false));
        // A protocol error among the dropped bytes still closes.
        String bad = "*3\r\n$3\r\nSET\r\n$2000\r\n" + value + "\r\n:1\r\n";
        assertEquals(List.of(RedisRequestParser.TOO_LARGE, "-ERR Protocol error: expected '$', got ':' +close"),
                parseEverySplit(bad, capacity, false));
    }

    @Test
    void requestsReuseTheirArgumentArraysPastTheFirstSize() {
        StringBuilder stream = new StringBuilder("*40\r\n");
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            stream.append("$").append(String.valueOf(i).length()).append("\r\n").append(i).append("\r\n");
            expected.append(i == 0 ? "" : "|").append(i);
        }
        assertOutcomes(stream + "*1\r\n$4\r\nPING\r\n", expected.toString(), "PING");
    }
}
