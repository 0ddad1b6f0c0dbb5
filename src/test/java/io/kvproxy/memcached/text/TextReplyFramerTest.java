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

/** Backend replies framed whole and split at every byte. */
@Timeout(30)
class TextReplyFramerTest {

    private static final class Receiver implements TextReplyReceiver {
        final boolean values;
        int valueCount = -1;

        Receiver(boolean values) {
            this.values = values;
        }

        @Override
        public boolean expectsValues() {
            return values;
        }

        @Override
        public void onValueCount(int count) {
            valueCount = count;
        }

        @Override
        public void onReply(Buffer buffer, int offset, int length) {
        }

        @Override
        public void onFailure(BackendFailure failure) {
        }
    }

    /** Frames {@code stream} as replies to {@code receivers}, fed in chunks cut at {@code cut}. */
    private static List<String> frame(String stream, List<Receiver> receivers, int cut) throws MalformedReplyException {
        byte[] bytes = stream.getBytes(StandardCharsets.ISO_8859_1);
        Buffer in = new Buffer(8, 1 << 20);
        TextReplyFramer framer = new TextReplyFramer();
        List<String> replies = new ArrayList<>();
        int next = 0;
        for (int[] chunk : new int[][] {{0, cut}, {cut, bytes.length}}) {
            in.put(bytes, chunk[0], chunk[1] - chunk[0]);
            int length;
            while (next < receivers.size() && !in.isEmpty() && (length = framer.frame(in, receivers.get(next))) > 0) {
                replies.add(in.toString(in.readIndex(), length) + "#" + receivers.get(next).valueCount);
                in.skip(length);
                next++;
            }
        }
        return replies;
    }

    private static void assertFrames(String stream, List<Receiver> receivers, String... expected) throws Exception {
        for (int cut = 0; cut <= stream.length(); cut++) {
            List<Receiver> fresh = new ArrayList<>();
            for (Receiver r : receivers) {
                fresh.add(new Receiver(r.values));
            }
            assertEquals(List.of(expected), frame(stream, fresh, cut), "cut at " + cut);
        }
    }

    @Test
    void oneLineReplies() throws Exception {
        assertFrames("STORED\r\nNOT_FOUND\r\n12\r\nSERVER_ERROR out of memory\r\n",
                List.of(new Receiver(false), new Receiver(false), new Receiver(false), new Receiver(false)),
                "STORED\r\n#-1", "NOT_FOUND\r\n#-1", "12\r\n#-1", "SERVER_ERROR out of memory\r\n#-1");
    }

    @Test
    void retrievalRepliesSkipValueBytesThatLookLikeProtocol() throws Exception {
        String tricky = "END\r\nVALUE x 0 1\r\n";
        String stream = "VALUE a 0 " + tricky.length() + "\r\n" + tricky + "\r\nVALUE b 5 0 77\r\n\r\nEND\r\nEND\r\nSERVER_ERROR x\r\nSTORED\r\n";
        assertFrames(stream, List.of(new Receiver(true), new Receiver(true), new Receiver(true), new Receiver(false)),
                "VALUE a 0 " + tricky.length() + "\r\n" + tricky + "\r\nVALUE b 5 0 77\r\n\r\nEND\r\n#2", "END\r\n#0",
                "SERVER_ERROR x\r\n#-1", "STORED\r\n#-1");
    }

    @Test
    void garbageIsMalformed() {
        assertThrows(MalformedReplyException.class, () -> frame("STORED\r\n", List.of(new Receiver(true)), 0));
        assertThrows(MalformedReplyException.class, () -> frame("VALUE a 0 1\r\nxx\r\nEND\r\n", List.of(new Receiver(true)), 0));
        assertThrows(MalformedReplyException.class, () -> frame("VALUE a 0 zz\r\n", List.of(new Receiver(true)), 0));
        assertThrows(MalformedReplyException.class, () -> frame("x".repeat(9000), List.of(new Receiver(false)), 0));
    }
}
