package io.kvproxy.memcached.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.MalformedReplyException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Backend replies framed whole and split at every byte; a retrieval's VALUE blocks come one at a time,
 * as parts, then its END.
 */
@Timeout(30)
class TextReplyFramerTest {

    private static final class Receiver implements TextReplyReceiver {
        final boolean values;
        final boolean statLines;

        Receiver(boolean values) {
            this(values, false);
        }

        Receiver(boolean values, boolean statLines) {
            this.values = values;
            this.statLines = statLines;
        }

        @Override
        public boolean expectsValues() {
            return values;
        }

        @Override
        public boolean expectsStatLines() {
            return statLines;
        }

        @Override
        public void onReply(Buffer buffer, int offset, int length) {
        }

        @Override
        public void onFailure(BackendFailure failure) {
        }
    }

    /**
     * Frames {@code stream} as replies to {@code receivers}, fed {@code chunk} bytes at a time after the
     * first {@code cut}, into a buffer of at most {@code maxCapacity}: parts are listed with a "part "
     * prefix, a receiver's last frame without.
     */
    private static List<String> frame(String stream, List<Receiver> receivers, int cut, int chunk, int maxCapacity)
            throws MalformedReplyException {
        byte[] bytes = stream.getBytes(StandardCharsets.ISO_8859_1);
        Buffer in = new Buffer(8, maxCapacity);
        TextReplyFramer framer = new TextReplyFramer();
        List<String> frames = new ArrayList<>();
        int next = 0;
        int fed = 0;
        while (fed < bytes.length) {
            int count = fed == 0 && cut > 0 ? cut : Math.min(chunk, bytes.length - fed);
            count = Math.min(count, in.maxCapacity() - in.readable());
            if (count == 0) {
                throw new AssertionError("buffer full and nothing framed: " + frames);
            }
            in.put(bytes, fed, count);
            fed += count;
            int length;
            while (next < receivers.size() && !in.isEmpty() && (length = framer.frame(in, framer.expectation(receivers.get(next)))) > 0) {
                boolean ends = framer.endsReply();
                frames.add((ends ? "" : "part ") + in.toString(in.readIndex(), length));
                in.skip(length);
                if (ends) {
                    next++;
                }
            }
            in.compact();
        }
        return frames;
    }

    private static List<String> frame(String stream, List<Receiver> receivers, int cut) throws MalformedReplyException {
        return frame(stream, receivers, cut, Integer.MAX_VALUE, 1 << 20);
    }

    private static List<Receiver> fresh(List<Receiver> receivers) {
        List<Receiver> fresh = new ArrayList<>();
        for (Receiver r : receivers) {
            fresh.add(new Receiver(r.values, r.statLines));
        }
        return fresh;
    }

    /** The same frames whole, cut in two at every byte, and fed one byte at a time. */
    private static void assertFrames(String stream, List<Receiver> receivers, String... expected) throws Exception {
        for (int cut = 0; cut <= stream.length(); cut++) {
            assertEquals(List.of(expected), frame(stream, fresh(receivers), cut), "cut at " + cut);
        }
        assertEquals(List.of(expected), frame(stream, fresh(receivers), 0, 1, 1 << 20), "byte by byte");
    }

    @Test
    void oneLineReplies() throws Exception {
        assertFrames("STORED\r\nNOT_FOUND\r\n12\r\nSERVER_ERROR out of memory\r\n",
                List.of(new Receiver(false), new Receiver(false), new Receiver(false), new Receiver(false)),
                "STORED\r\n", "NOT_FOUND\r\n", "12\r\n", "SERVER_ERROR out of memory\r\n");
    }

    @Test
    void retrievalRepliesComeBlockByBlockAndSkipValueBytesThatLookLikeProtocol() throws Exception {
        String tricky = "END\r\nVALUE x 0 1\r\n";
        String first = "VALUE a 0 " + tricky.length() + "\r\n" + tricky + "\r\n";
        String stream = first + "VALUE b 5 0 77\r\n\r\nEND\r\nEND\r\nSERVER_ERROR x\r\nSTORED\r\n";
        assertFrames(stream, List.of(new Receiver(true), new Receiver(true), new Receiver(true), new Receiver(false)),
                "part " + first, "part VALUE b 5 0 77\r\n\r\n", "END\r\n", "END\r\n", "SERVER_ERROR x\r\n", "STORED\r\n");
    }

    /** The buffer needs room for one block, not for the reply: max_packet bounds a value. */
    @Test
    void aReplyLargerThanTheBufferIsFramedBlockByBlock() throws Exception {
        StringBuilder stream = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String block = "VALUE k" + i + " 0 40\r\n" + "v".repeat(40) + "\r\n";
            stream.append(block);
            expected.add("part " + block);
        }
        stream.append("END\r\n");
        expected.add("END\r\n");
        for (int chunk : new int[] {1, 7, 64}) {
            assertEquals(expected, frame(stream.toString(), List.of(new Receiver(true)), 0, chunk, 64), "chunk " + chunk);
        }
        assertThrows(MalformedReplyException.class,
                () -> frame("VALUE big 0 60\r\n" + "v".repeat(60) + "\r\nEND\r\n", List.of(new Receiver(true)), 0, 1, 64));
    }

    /** The proxy's own stats sample: each STAT line a part, then END; an error line instead is the reply. */
    @Test
    void statsRepliesComeLineByLine() throws Exception {
        assertFrames("STAT pid 1\r\nSTAT version 1.6.18\r\nEND\r\nERROR\r\nRESET\r\n",
                List.of(new Receiver(true, true), new Receiver(true, true), new Receiver(false)),
                "part STAT pid 1\r\n", "part STAT version 1.6.18\r\n", "END\r\n", "ERROR\r\n", "RESET\r\n");
        // Only a stats receiver takes STAT lines.
        assertThrows(MalformedReplyException.class, () -> frame("STAT pid 1\r\nEND\r\n", List.of(new Receiver(true)), 0));
    }

    /** A meta reply is one frame: its line and, after VA, its data block, whatever the block holds. */
    @Test
    void metaRepliesComeWholeWithTheirDataBlock() throws Exception {
        Receiver meta = new Receiver(false);
        String tricky = "EN\r\nVA 1\r\n";
        assertFrames("VA 2 s2 f5 t-1 c13\r\nhi\r\nHD c1\r\nEN\r\nVA " + tricky.length() + " kx O1\r\n" + tricky + "\r\nVA 0 W\r\n\r\n"
                        + "CLIENT_ERROR bad command line format\r\nME k exp=-1 la=0 cas=4 fetch=no cls=1 size=61\r\n",
                List.of(meta, meta, meta, meta, meta, meta, meta),
                "VA 2 s2 f5 t-1 c13\r\nhi\r\n", "HD c1\r\n", "EN\r\n", "VA " + tricky.length() + " kx O1\r\n" + tricky + "\r\n",
                "VA 0 W\r\n\r\n", "CLIENT_ERROR bad command line format\r\n", "ME k exp=-1 la=0 cas=4 fetch=no cls=1 size=61\r\n");
        assertThrows(MalformedReplyException.class, () -> frame("VA 1\r\nxx\r\n", List.of(new Receiver(false)), 0));
        assertThrows(MalformedReplyException.class, () -> frame("VA x\r\n", List.of(new Receiver(false)), 0));
        assertThrows(MalformedReplyException.class,
                () -> frame("VA 60\r\n" + "v".repeat(60) + "\r\n", List.of(new Receiver(false)), 0, 1, 64));
        // A late VA where a retrieval is expected cannot be its reply: the connection is reset, nothing misread.
        assertThrows(MalformedReplyException.class, () -> frame("VA 1\r\nx\r\n", List.of(new Receiver(true)), 0));
    }

    /**
     * A VALUE reply where one line is expected is framed as a retrieval, so the replies behind it keep their
     * own requests (HistoryIT with the meta client in the mix found a request taken with that expectation).
     */
    @Test
    void aRetrievalReplyWhereOneLineIsExpectedIsFramedWhole() throws Exception {
        assertFrames("VALUE a 0 5\r\nhello\r\nVALUE b 0 3\r\nEND\r\nEND\r\nSTORED\r\nVA 2\r\nhi\r\n",
                List.of(new Receiver(false), new Receiver(false), new Receiver(false)),
                "part VALUE a 0 5\r\nhello\r\n", "part VALUE b 0 3\r\nEND\r\n", "END\r\n", "STORED\r\n", "VA 2\r\nhi\r\n");
    }

    @Test
    void garbageIsMalformed() {
        assertThrows(MalformedReplyException.class, () -> frame("STORED\r\n", List.of(new Receiver(true)), 0));
        assertThrows(MalformedReplyException.class, () -> frame("VALUE a 0 1\r\nxx\r\nEND\r\n", List.of(new Receiver(true)), 0));
        assertThrows(MalformedReplyException.class, () -> frame("VALUE a 0 zz\r\n", List.of(new Receiver(true)), 0));
        assertThrows(MalformedReplyException.class, () -> frame("x".repeat(9000), List.of(new Receiver(false)), 0));
        // An error line is a reply only in place of every block.
        assertThrows(MalformedReplyException.class,
                () -> frame("VALUE a 0 1\r\nx\r\nSERVER_ERROR out of memory\r\n", List.of(new Receiver(true)), 0));
    }
}
