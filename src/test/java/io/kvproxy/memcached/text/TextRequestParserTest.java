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
                in.skip(request.length);
                if (outcome == Outcome.ERROR && request.closeAfterError) {
                    return seen;
                }
            }
        }
        return seen;
    }

    private static String describe(Buffer in, TextRequest request, Outcome outcome) {
        if (outcome == Outcome.ERROR) {
            return request.error + (request.closeAfterError ? " +close" : "");
        }
        StringBuilder text = new StringBuilder(request.command.name());
        for (int t = 1; t < request.tokenCount; t++) {
            text.append(' ').append(in.toString(in.readIndex() + request.tokenStart[t], request.tokenLength[t]));
        }
        if (request.noreply) {
            text.append(" [noreply]");
        }
        if (request.command.isStorage()) {
            text.append(" <").append(in.toString(in.readIndex() + request.dataStart, request.dataLength)).append('>');
        }
        return text.toString();
    }

    /** The outcomes of {@code stream} whole, after checking every single split and a split at every byte. */
    private static List<String> parseEverySplit(String stream) {
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
        assertOutcomes("set big 0 0 " + big.length() + "\r\n" + big + "\r\nget a\r\n", TextRequestParser.TOO_LARGE, "GET a");
    }

    @Test
    void commandsAndTheirErrors() {
        assertOutcomes("bogus\r\n\r\nGET a\r\nget\r\n", "ERROR", "ERROR", "ERROR", "ERROR");
        assertOutcomes("incr a x\r\nincr n -1\r\nincr n 18446744073709551616\r\nincr n 18446744073709551615\r\ndecr n 5 noreply\r\n",
                TextRequestParser.BAD_DELTA, TextRequestParser.BAD_DELTA, TextRequestParser.BAD_DELTA,
                "INCR n 18446744073709551615", "DECR n 5 noreply [noreply]");
        assertOutcomes("delete a\r\ndelete a 0\r\ndelete a 1\r\ndelete a noreply\r\ndelete a 0 noreply\r\ndelete a 0 0 0\r\n",
                "DELETE a", "DELETE a 0", TextRequestParser.DELETE_USAGE, "DELETE a noreply [noreply]",
                "DELETE a 0 noreply [noreply]", TextRequestParser.DELETE_USAGE);
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
