package io.kvproxy.memcached.binary;

import static io.kvproxy.memcached.binary.Binary.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.MalformedReplyException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Binary backend replies framed whole and split at every byte. */
@Timeout(30)
class BinaryReplyFramerTest {

    private record Sent(int sentOpcode) implements BinaryReplyReceiver {
        @Override
        public void onReply(Buffer buffer, int offset, int length) {
        }

        @Override
        public void onFailure(BackendFailure failure) {
        }
    }

    private static void reply(Buffer out, int opcode, int status, String key, String value) {
        writeHeader(out, opcode, key.length(), 0, status, key.length() + value.length(), 1, 5);
        out.putAscii(key).putAscii(value);
    }

    private static List<Integer> frame(Buffer stream, List<Sent> sent, int cut) throws MalformedReplyException {
        Buffer in = new Buffer(8, 1 << 16);
        BinaryReplyFramer framer = new BinaryReplyFramer();
        List<Integer> lengths = new ArrayList<>();
        int next = 0;
        for (int[] chunk : new int[][] {{0, cut}, {cut, stream.readable()}}) {
            in.put(stream, chunk[0], chunk[1] - chunk[0]);
            int length;
            while (next < sent.size() && (length = framer.frame(in, framer.expectation(sent.get(next)))) > 0) {
                lengths.add(length);
                in.skip(length);
                next++;
            }
        }
        return lengths;
    }

    @Test
    void repliesOfEveryShape() throws Exception {
        Buffer stream = new Buffer(256, 1 << 16);
        reply(stream, GET, SUCCESS, "", "\0\0\0\0value");
        reply(stream, GETK, KEY_NOT_FOUND, "key", "");
        reply(stream, SET, SUCCESS, "", "");
        reply(stream, INCREMENT, SUCCESS, "", "\0\0\0\0\0\0\0\7");
        List<Sent> sent = List.of(new Sent(GET), new Sent(GETK), new Sent(SET), new Sent(INCREMENT));
        for (int cut = 0; cut <= stream.readable(); cut++) {
            assertEquals(List.of(33, 27, 24, 32), frame(stream, sent, cut), "cut at " + cut);
        }
    }

    @Test
    void aReplyOutOfStepIsMalformed() {
        Buffer wrongOpcode = new Buffer(64, 1 << 16);
        reply(wrongOpcode, SET, SUCCESS, "", "");
        assertThrows(MalformedReplyException.class, () -> frame(wrongOpcode, List.of(new Sent(GET)), 0));
        Buffer text = new Buffer(64, 1 << 16);
        text.putAscii("STORED\r\n".repeat(4));
        assertThrows(MalformedReplyException.class, () -> frame(text, List.of(new Sent(SET)), 0));
    }
}
