package io.kvproxy.memcached.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kvproxy.memcached.text.TextRequest.Outcome;
import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The text parser against the replies memcached 1.6.18 gives to the same bytes (recorded from a real
 * server), each stream fed whole and split at every byte.
 */
@Timeout(30)
class TextRequestParserTest {

    private static final int MAX_PACKET = 1024;
    /** The meta commands with a key, whose flags the outcome line shows. */
    private static final java.util.Set<TextCommand> META_KEYED =
            java.util.EnumSet.of(TextCommand.MG, TextCommand.MS, TextCommand.MD, TextCommand.MA, TextCommand.ME);

    /** Parses {@code stream} delivered in chunks cut at {@code cuts}; describes every outcome. */
    private static List<String> parse(byte[] stream, int... cuts) {
        Buffer in = new Buffer(16, MAX_PACKET + 16 * 1024);
        TextRequestParser parser = new TextRequestParser(MAX_PACKET);
        TextRequest request = new TextRequest();
        List<String> seen = new ArrayList<>();
        int from = 0;
        for (int c = 0; c <= cuts.length; c++) {
            int to = c < cuts.length ? cuts[c] : stream.length;
            in.put(stream, from, to - from);
            from = to;
            while (true) {
                Outcome outcome = parser.parse(in, request);
                if (outcome == Outcome.NEED_MORE) {
                    break;
                }
                seen.add(describe(in, request, outcome));
                if (outcome == Outcome.HTTP) {
                    // The session reads nothing more from an HTTP client.
                    return seen;
                }
                in.skip(request.length);
                if (outcome == Outcome.ERROR && request.closeAfterError) {
                    return seen;
                }
            }
        }
        return seen;
    }

    private static String describe(Buffer in, TextRequest request, Outcome outcome) {
        if (outcome == Outcome.HTTP) {
            return "HTTP";
        }
        if (outcome == Outcome.ERROR) {
            return request.error + (request.noreply ? " [noreply]" : "") + (request.unlinkKey ? " +unlink" : "")
                    + (request.closeAfterError ? " +close" : "");
        }
        StringBuilder text = new StringBuilder(request.command.name());
        for (int t = 1; t < request.tokenCount; t++) {
            text.append(' ').append(in.toString(in.readIndex() + request.tokenStart[t], request.tokenLength[t]));
        }
        if (request.noreply) {
            text.append(" [noreply]");
        }
        if (META_KEYED.contains(request.command)) {
            text.append(MetaRequestParserTest.flagsOf(request));
        }
        if (request.command.isStorage() || request.command == TextCommand.MS) {
            text.append(" <").append(in.toString(in.readIndex() + request.dataStart, request.dataLength)).append('>');
        }
        return text.toString();
    }

    /** The outcomes of {@code stream} whole, after checking every single split and a split at every byte. */
    static List<String> parseEverySplit(String stream) {
        byte[] bytes = stream.getBytes(StandardCharsets.ISO_8859_1);
        List<String> whole = parse(bytes);
        for (int cut = 1; cut < bytes.length; cut++) {
            assertEquals(whole, parse(bytes, cut), "split at byte " + cut + " of " + printable(stream));
        }
        int[] everyByte = new int[Math.max(0, bytes.length - 1)];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = i + 1;
        }
        assertEquals(whole, parse(bytes, everyByte), "one byte at a time: " + printable(stream));
        return whole;
    }

    private static String printable(String s) {
        return s.length() > 80 ? s.substring(0, 80).replace("\r\n", "\\r\\n") + "…" : s.replace("\r\n", "\\r\\n");
    }

    private static void assertOutcomes(String stream, String... expected) {
        assertEquals(List.of(expected), parseEverySplit(stream));
    }

    @Test
    void retrievals() {
        assertOutcomes("get a\r\ngets a b c\r\n  get  a   b  \r\nget a\n", "GET a", "GETS a b c", "GET a b", "GET a");
        assertOutcomes("gat 10 a b\r\ngats -1 k\r\ngat 10\r\n", "GAT 10 a b", "GATS -1 k", "GAT 10");
        assertOutcomes("get a\rb\r\n", "GET a\rb");
    }

    @Test
    void storageWithData() {
        assertOutcomes("set k 1 2 5\r\nhello\r\nadd k 0 0 0\r\n\r\ncas k 0 0 2 99 noreply\r\nab\r\n",
                "SET k 1 2 5 <hello>", "ADD k 0 0 0 <>", "CAS k 0 0 2 99 noreply [noreply] <ab>");
        assertOutcomes("set k 0 0 4\r\na\r\nb\r\n", "SET k 0 0 4 <a\r\nb>");
        assertOutcomes("set a 0 0 1 garbage\r\nx\r\n", "SET a 0 0 1 garbage <x>");
        assertOutcomes("append k 0 0 1 noreply\r\nx\r\n", "APPEND k 0 0 1 noreply [noreply] <x>");
    }

    @Test
    void badStorageLinesAreNotSwallowed() {
        // memcached answers the line and reads the data block as a command of its own.
        assertOutcomes("set a 0 0 x\r\nhello\r\nget a\r\n", TextRequestParser.BAD_FORMAT, "ERROR", "GET a");
        assertOutcomes("set a 0 0 -1\r\nget a\r\n", TextRequestParser.BAD_FORMAT, "GET a");
        assertOutcomes("set f -1 0 1\r\nx\r\n", TextRequestParser.BAD_FORMAT, "ERROR");
        assertOutcomes("set a 0 0 1 noreply extra\r\nx\r\n", "ERROR", "ERROR");
        assertOutcomes("cas a 0 0 1\r\nx\r\n", "ERROR", "ERROR");
        assertOutcomes("set " + "k".repeat(251) + " 0 0 1\r\nx\r\n", TextRequestParser.BAD_FORMAT, "ERROR");
    }

    @Test
    void badDataChunkConsumesTheDeclaredBytes() {
        assertOutcomes("set a 0 0 5\r\nhelloXX\r\nget a\r\n", TextRequestParser.BAD_DATA_CHUNK, "ERROR", "GET a");
    }

    @Test
    void valueOverMaxPacketIsRefusedAndSwallowed() {
        String big = "x".repeat(MAX_PACKET + 1);
        assertOutcomes("set big 0 0 " + big.length() + "\r\n" + big + "\r\nget a\r\n", TextRequestParser.TOO_LARGE + " +unlink", "GET a");
        // Only a set loses the old value in memcached; the other writes keep it.
        assertOutcomes("append big 0 0 " + big.length() + "\r\n" + big + "\r\nget a\r\n", TextRequestParser.TOO_LARGE, "GET a");
        assertOutcomes("cas big 0 0 " + big.length() + " 1\r\n" + big + "\r\nget a\r\n", TextRequestParser.TOO_LARGE, "GET a");
        // noreply: the error is withheld, the value still swallowed, the key still unlinked.
        assertOutcomes("set big 0 0 " + big.length() + " noreply\r\n" + big + "\r\nget a\r\n",
                TextRequestParser.TOO_LARGE + " [noreply] +unlink", "GET a");
        // The swallowed bytes are exactly the declared length and its CRLF, whatever they are.
        assertOutcomes("set big 0 0 " + big.length() + "\r\n" + big + "XYget a\r\n", TextRequestParser.TOO_LARGE + " +unlink", "GET a");
    }

    @Test
    void dataLengthsAreRangeCheckedAsMemcachedDoes() {
        // memcached 1.6.18: a length below 0 or above 2^31 - 3 is a bad command line, and the data block
        // that follows is read as a command (here "ab": ERROR).
        for (String length : new String[] {"-1", "-2147483649", "2147483646", "2147483647", "2147483648", "4294967296",
                "4294967298", "9223372036854775807", "9223372036854775808", "18446744073709551617", "2x", "++1", "-+1", "x"}) {
            assertOutcomes("set k 0 0 " + length + "\r\nab\r\nget k\r\n", TextRequestParser.BAD_FORMAT, "ERROR", "GET k");
        }
        // 2^31 - 3 is still a length: too large, and that many bytes (and a CRLF) are swallowed.
        assertOutcomes("set k 0 0 2147483645\r\nab\r\nget k\r\n", TextRequestParser.TOO_LARGE + " +unlink");
        assertOutcomes("set k 0 0 " + MAX_PACKET + "\r\n" + "v".repeat(MAX_PACKET) + "\r\nget k\r\n",
                "SET k 0 0 " + MAX_PACKET + " <" + "v".repeat(MAX_PACKET) + ">", "GET k");
        assertOutcomes("set k 0 0 " + (MAX_PACKET + 1) + "\r\n" + "v".repeat(MAX_PACKET + 1) + "\r\nget k\r\n",
                TextRequestParser.TOO_LARGE + " +unlink", "GET k");
        assertOutcomes("set k 0 0 0\r\n\r\nset k 0 0 -0\r\n\r\nset k +1 +0 +2\r\nab\r\n",
                "SET k 0 0 0 <>", "SET k 0 0 -0 <>", "SET k +1 +0 +2 <ab>");
        assertOutcomes("incr k +2\r\ntouch k +10\r\nverbosity +1\r\nflush_all +0\r\n",
                "INCR k +2", "TOUCH k +10", "VERBOSITY +1", "FLUSH_ALL +0");
    }

    @Test
    void noreplyErrorsAreWithheldWhereMemcachedHasSeenTheNoreply() {
        String longKey = "k".repeat(251);
        assertOutcomes("delete k 10 noreply\r\ndelete k 10\r\ndelete k 0 0\r\n",
                TextRequestParser.DELETE_USAGE + " [noreply]", TextRequestParser.DELETE_USAGE, TextRequestParser.DELETE_USAGE);
        assertOutcomes("delete " + longKey + " noreply\r\ndelete " + longKey + " 1\r\n",
                TextRequestParser.BAD_FORMAT + " [noreply]", TextRequestParser.DELETE_USAGE);
        assertOutcomes("incr k abc noreply\r\nincr k noreply\r\nincr " + longKey + " 1 noreply\r\nincr k abc\r\n",
                TextRequestParser.BAD_DELTA + " [noreply]", TextRequestParser.BAD_DELTA + " [noreply]",
                TextRequestParser.BAD_FORMAT + " [noreply]", TextRequestParser.BAD_DELTA);
        assertOutcomes("touch k abc noreply\r\ntouch k noreply\r\n",
                TextRequestParser.BAD_EXPTIME + " [noreply]", TextRequestParser.BAD_EXPTIME + " [noreply]");
        // The data block of a refused storage line is a command of its own, answered: memcached does so.
        assertOutcomes("set k 0 0 abc noreply\r\nab\r\nset k 0 0 noreply\r\nab\r\nset " + longKey + " 0 0 1 noreply\r\nx\r\n",
                TextRequestParser.BAD_FORMAT + " [noreply]", "ERROR", TextRequestParser.BAD_FORMAT + " [noreply]", "ERROR",
                TextRequestParser.BAD_FORMAT + " [noreply]", "ERROR");
        assertOutcomes("set k 0 0 2 noreply\r\nabcd\r\nset k 0 0 2 noreply\r\nabX\nget k\r\n",
                TextRequestParser.BAD_DATA_CHUNK + " [noreply]", "ERROR", TextRequestParser.BAD_DATA_CHUNK + " [noreply]", "GET k");
        assertOutcomes("flush_all abc noreply\r\nflush_all noreply x\r\nflush_all 10 20\r\nflush_all 0 0 0\r\n",
                TextRequestParser.BAD_EXPTIME + " [noreply]", TextRequestParser.BAD_EXPTIME, "FLUSH_ALL 10 20", "ERROR");
        assertOutcomes("verbosity abc noreply\r\nverbosity noreply\r\nverbosity abc\r\nverbosity 1 2\r\nverbosity 1 2 3\r\n",
                TextRequestParser.BAD_FORMAT + " [noreply]", TextRequestParser.BAD_FORMAT + " [noreply]",
                TextRequestParser.BAD_FORMAT, "VERBOSITY 1 2", "ERROR");
        // Too few or too many words: memcached answers ERROR before it looks for noreply.
        assertOutcomes("incr noreply\r\ntouch k 1 2 noreply\r\nset k 0 0 noreply\r\nx\r\n",
                "ERROR", "ERROR", TextRequestParser.BAD_FORMAT + " [noreply]", "ERROR");
        assertOutcomes("version foo bar\r\nquit now\r\n", "VERSION foo bar", "QUIT now");
    }

    @Test
    void anHttpRequestLineEndsTheConversation() {
        assertOutcomes("get a\r\nGET / HTTP/1.0\r\nset k 0 0 1\r\nx\r\n", "GET a", "HTTP");
        assertOutcomes("POST /x HTTP/1.1\r\nHost: a\r\n\r\nset k 0 0 1\r\nx\r\n", "HTTP");
        assertOutcomes("HEAD / HTTP/1.1\n", "HTTP");
        assertOutcomes("HTTP/1.1\r\n", "HTTP");
        assertOutcomes("foo HTTP/\r\n", "HTTP");
        // Not HTTP to memcached: a word it dispatches on its first letter, a one-letter or two-letter m
        // word, a lowercase version, a version that is not the last word.
        assertOutcomes("get / HTTP/1.0\r\nG HTTP/1.0\r\nmx / HTTP/1.1\r\nGET / http/1.1\r\nGET / HTTP/1.1 x\r\nGET /HTTP/1.1\r\n",
                "GET / HTTP/1.0", "ERROR", "ERROR", "ERROR", "ERROR", "ERROR");
        assertOutcomes("delete / HTTP/1.1\r\ntouch / HTTP/1.1\r\n", TextRequestParser.DELETE_USAGE, TextRequestParser.BAD_EXPTIME);
        // memcached tokenizes 23 words at most: the 23rd is the one it looks at.
        StringBuilder words = new StringBuilder("xx");
        for (int i = 0; i < 21; i++) {
            words.append(" a").append(i);
        }
        assertOutcomes(words + " HTTP/1.1 foo bar\r\n", "HTTP");
        assertOutcomes(words + " b HTTP/1.1\r\nget a\r\n", "ERROR", "GET a");
    }

    @Test
    void commandsAndTheirErrors() {
        assertOutcomes("bogus\r\n\r\nGET a\r\nget\r\n", "ERROR", "ERROR", "ERROR", "ERROR");
        assertOutcomes("incr a x\r\nincr n -1\r\nincr n 18446744073709551616\r\nincr n 18446744073709551615\r\ndecr n 5 noreply\r\n",
                TextRequestParser.BAD_DELTA, TextRequestParser.BAD_DELTA, TextRequestParser.BAD_DELTA,
                "INCR n 18446744073709551615", "DECR n 5 noreply [noreply]");
        assertOutcomes("delete a\r\ndelete a 0\r\ndelete a 1\r\ndelete a noreply\r\ndelete a 0 noreply\r\ndelete a 0 0 0\r\n",
                "DELETE a", "DELETE a 0", TextRequestParser.DELETE_USAGE, "DELETE a noreply [noreply]",
                "DELETE a 0 noreply [noreply]", "ERROR");
        assertOutcomes("touch a\r\ntouch a 10\r\ntouch a x\r\ntouch a 1 2 3\r\n",
                "ERROR", "TOUCH a 10", TextRequestParser.BAD_EXPTIME, "ERROR");
        assertOutcomes("flush_all\r\nflush_all 0\r\nflush_all noreply\r\nflush_all x\r\nflush_all 5 noreply\r\n",
                "FLUSH_ALL", "FLUSH_ALL 0", "FLUSH_ALL noreply [noreply]", TextRequestParser.BAD_EXPTIME,
                "FLUSH_ALL 5 noreply [noreply]");
        assertOutcomes("verbosity\r\nverbosity 1\r\nverbosity 1 noreply\r\nverbosity x\r\n",
                "ERROR", "VERBOSITY 1", "VERBOSITY 1 noreply [noreply]", TextRequestParser.BAD_FORMAT);
        assertOutcomes("version\r\nstats\r\nstatus\r\nquit\r\n", "VERSION", "STATS", "STATUS", "QUIT");
        assertOutcomes("get " + "k".repeat(251) + "\r\n", TextRequestParser.BAD_FORMAT);
        assertOutcomes("get " + "k".repeat(250) + "\r\n", "GET " + "k".repeat(250));
    }

    /**
     * As memcached 1.6.18 answered: flags and exptimes over 32 bits are taken (strtoul's and strtol's
     * range; memcached, and the backend the words are forwarded to, keep their low 32 bits).
     */
    @Test
    void flagsAndExptimesAreAsWideAsMemcachedTakesThem() {
        assertOutcomes("set k 4294967295 4294967306 1\r\na\r\nset k 4294967296 0 1\r\na\r\nset k -1 0 1\r\na\r\n"
                        + "set k 18446744073709551616 0 1\r\na\r\n",
                "SET k 4294967295 4294967306 1 <a>", "SET k 4294967296 0 1 <a>", TextRequestParser.BAD_FORMAT, "ERROR",
                TextRequestParser.BAD_FORMAT, "ERROR");
        assertOutcomes("touch k 99999999999\r\ngat -9223372036854775808 k\r\ntouch k 9223372036854775808\r\nflush_all 99999999999\r\n",
                "TOUCH k 99999999999", "GAT -9223372036854775808 k", TextRequestParser.BAD_EXPTIME, "FLUSH_ALL 99999999999");
    }

    /** As memcached 1.6.18 answered each line (the limit's size is the servers' to judge). */
    @Test
    void cacheMemlimit() {
        assertOutcomes("cache_memlimit 100\r\ncache_memlimit 100 noreply\r\ncache_memlimit\r\ncache_memlimit abc\r\n"
                        + "cache_memlimit abc noreply\r\ncache_memlimit 100 200\r\ncache_memlimit 1 2 3\r\n",
                "CACHE_MEMLIMIT 100", "CACHE_MEMLIMIT 100 noreply [noreply]", "ERROR", "ERROR", "ERROR [noreply]",
                "CACHE_MEMLIMIT 100 200", "ERROR");
    }

    @Test
    void overlongLineIsAnErrorThenClose() {
        byte[] line = "x".repeat(TextRequestParser.MAX_LINE + 1).getBytes(StandardCharsets.US_ASCII);
        assertEquals(List.of(TextRequestParser.LINE_TOO_LONG + " +close"), parse(line));
        // A get line may be as long as max_packet.
        String longGet = "get" + " k".repeat((MAX_PACKET - 10) / 2) + "\r\n";
        assertEquals(1, parse(longGet.getBytes(StandardCharsets.US_ASCII)).size());
    }

    @Test
    void manyRequestsInOneStream() {
        StringBuilder stream = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            stream.append("set k").append(i).append(" 0 0 2\r\nv").append(i % 10).append("\r\nget k").append(i).append("\r\n");
            expected.add("SET k" + i + " 0 0 2 <v" + (i % 10) + ">");
            expected.add("GET k" + i);
        }
        assertEquals(expected, parse(stream.toString().getBytes(StandardCharsets.US_ASCII), 1, 7, 100, 101, 555));
    }
}
