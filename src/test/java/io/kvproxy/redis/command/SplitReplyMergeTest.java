package io.kvproxy.redis.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.redis.command.RedisCommand.Merge;
import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RedisRequestParser;
import io.kvproxy.redis.resp.RespReplyFramer;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.MalformedReplyException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Split replies merged: each part's reply is framed value by value by the real framer, as a backend
 * connection would, and fed to the merge; the client's reply is checked byte for byte.
 */
@Timeout(30)
class SplitReplyMergeTest {

    private final BufferPool pool = new BufferPool(1 << 20);
    private final SplitReplyMerge merge = new SplitReplyMerge(new Buffer(pool, 256, 4096));

    /** Frames {@code reply} value by value (as a one-value-per-frame receiver gets it) into part {@code part}. */
    private void reply(int part, String reply) throws MalformedReplyException {
        Buffer in = new Buffer(64, 1 << 16);
        in.put(reply.getBytes(StandardCharsets.ISO_8859_1));
        RespReplyFramer framer = new RespReplyFramer();
        while (!in.isEmpty()) {
            int length = framer.frame(in, 1);
            if (length == 0) {
                throw new AssertionError("incomplete reply " + reply);
            }
            merge.onPartFrame(part, in, in.readIndex(), length, framer.endsReply());
            in.skip(length);
        }
    }

    private String written() {
        assertTrue(merge.isComplete());
        Buffer out = new Buffer(64, 1 << 16);
        merge.writeReply(out);
        return out.toString(out.readIndex(), out.readable());
    }

    /** Keys a0 b0 a1 c0 b1 a2 on parts a=0, b=1, c=2, in that client order. */
    private void sixKeysOnThreeParts(Merge kind) {
        merge.begin(kind);
        for (int part : new int[] {0, 1, 0, 2, 1, 0}) {
            merge.addKey(part);
        }
        merge.seal();
    }

    @Test
    void mgetValuesComeBackInTheClientsKeyOrder() throws Exception {
        sixKeysOnThreeParts(Merge.VALUES);
        assertEquals(3, merge.partCount());
        assertEquals(3, merge.partKeyCount(0));
        assertEquals(2, merge.partKeyCount(1));
        assertEquals(1, merge.partKeyCount(2));
        assertEquals(2, merge.partKey(0, 1));
        assertEquals(5, merge.partKey(0, 2));
        assertEquals(4, merge.partKey(1, 1));
        assertEquals(3, merge.partKey(2, 0));
        // Parts answer out of order; part b's first key is missing.
        reply(2, "*1\r\n$2\r\nc0\r\n");
        assertFalse(merge.isComplete());
        reply(0, "*3\r\n$2\r\na0\r\n$0\r\n\r\n$2\r\na2\r\n");
        reply(1, "*2\r\n$-1\r\n$2\r\nb1\r\n");
        assertEquals("*6\r\n$2\r\na0\r\n$-1\r\n$0\r\n\r\n$2\r\nc0\r\n$2\r\nb1\r\n$2\r\na2\r\n", written());
    }

    @Test
    void anyPartsErrorIsTheWholeReplyAndTheEarliestKeysPartWins() throws Exception {
        sixKeysOnThreeParts(Merge.VALUES);
        reply(2, "-ERR from c\r\n");
        reply(0, "*3\r\n$2\r\na0\r\n$2\r\na1\r\n$2\r\na2\r\n");
        reply(1, "-LOADING Redis is loading the dataset in memory\r\n");
        assertEquals("-LOADING Redis is loading the dataset in memory\r\n", written());

        sixKeysOnThreeParts(Merge.VALUES);
        merge.onPartFailure(1, "-ERR Connection timed out");
        reply(0, "-ERR from a\r\n");
        reply(2, "*1\r\n$2\r\nc0\r\n");
        assertEquals("-ERR from a\r\n", written());
    }

    @Test
    void aFailedServerFailsTheWholeReply() throws Exception {
        sixKeysOnThreeParts(Merge.SUM);
        reply(0, ":2\r\n");
        merge.onPartFailure(2, "-ERR Connection refused");
        reply(1, ":1\r\n");
        assertEquals("-ERR Connection refused\r\n", written());
    }

    @Test
    void repliesOfTheWrongShapeAreAnError() throws Exception {
        sixKeysOnThreeParts(Merge.VALUES);
        reply(0, "*2\r\n$2\r\na0\r\n$2\r\na1\r\n");
        reply(1, "*2\r\n$2\r\nb0\r\n$2\r\nb1\r\n");
        reply(2, "*1\r\n$2\r\nc0\r\n");
        assertEquals(SplitReplyMerge.UNEXPECTED_REPLY + "\r\n", written(), "part a answered two values for three keys");

        sixKeysOnThreeParts(Merge.SUM);
        reply(0, ":1\r\n");
        reply(1, "+OK\r\n");
        reply(2, ":1\r\n");
        assertEquals(SplitReplyMerge.UNEXPECTED_REPLY + "\r\n", written());

        sixKeysOnThreeParts(Merge.OK);
        reply(0, "+OK\r\n");
        reply(1, "+QUEUED\r\n");
        reply(2, "+OK\r\n");
        assertEquals(SplitReplyMerge.UNEXPECTED_REPLY + "\r\n", written());
    }

    @Test
    void msetSaysOkOnceAndCountsAreSummed() throws Exception {
        sixKeysOnThreeParts(Merge.OK);
        reply(1, "+OK\r\n");
        reply(0, "+OK\r\n");
        reply(2, "+OK\r\n");
        assertEquals("+OK\r\n", written());

        sixKeysOnThreeParts(Merge.SUM);
        reply(0, ":3\r\n");
        reply(1, ":0\r\n");
        reply(2, ":1\r\n");
        assertEquals(":4\r\n", written());
    }

    @Test
    void valuesBeyondTheMergesBufferMakeTheReplyAnError() throws Exception {
        merge.begin(Merge.VALUES);
        merge.addKey(0);
        merge.addKey(1);
        merge.seal();
        String big = "v".repeat(3000);
        reply(0, "*1\r\n$3000\r\n" + big + "\r\n");
        reply(1, "*1\r\n$3000\r\n" + big + "\r\n");
        assertEquals(SplitReplyMerge.TOO_LARGE + "\r\n", written());
    }

    @Test
    void theMergeIsReusedAndGivesItsMemoryBack() throws Exception {
        Buffer values = new Buffer(pool, 256, 1 << 16);
        SplitReplyMerge reused = new SplitReplyMerge(values);
        for (int round = 0; round < 3; round++) {
            reused.begin(Merge.VALUES);
            for (int key = 0; key < 100; key++) {
                reused.addKey(key % 7);
            }
            reused.seal();
            for (int part = 0; part < 7; part++) {
                StringBuilder reply = new StringBuilder("*" + reused.partKeyCount(part) + "\r\n");
                for (int n = 0; n < reused.partKeyCount(part); n++) {
                    String value = "k" + reused.partKey(part, n);
                    reply.append('$').append(value.length()).append("\r\n").append(value).append("\r\n");
                }
                Buffer in = new Buffer(64, 1 << 16);
                in.put(reply.toString().getBytes(StandardCharsets.ISO_8859_1));
                RespReplyFramer framer = new RespReplyFramer();
                int length;
                while ((length = framer.frame(in, 1)) > 0) {
                    reused.onPartFrame(part, in, in.readIndex(), length, framer.endsReply());
                    in.skip(length);
                }
            }
            Buffer out = new Buffer(64, 1 << 16);
            reused.writeReply(out);
            StringBuilder expected = new StringBuilder("*100\r\n");
            for (int key = 0; key < 100; key++) {
                String value = "k" + key;
                expected.append('$').append(value.length()).append("\r\n").append(value).append("\r\n");
            }
            assertEquals(expected.toString(), out.toString(out.readIndex(), out.readable()));
            assertFalse(values.holdsMemory(), "the values' memory went back to the pool");
        }
    }

    @Test
    void misuseIsAProgrammingError() throws Exception {
        merge.begin(Merge.SUM);
        assertThrows(IllegalStateException.class, () -> merge.addKey(1), "part 1 before part 0");
        merge.addKey(0);
        merge.seal();
        assertThrows(IllegalStateException.class, () -> merge.writeReply(new Buffer(64, 64)));
        reply(0, ":1\r\n");
        assertThrows(IllegalStateException.class, () -> merge.onPartFailure(0, "-ERR late"));
    }

    @Test
    void eachPartsRequestCarriesItsKeysInTheClientsOrder() throws Exception {
        Buffer in = new Buffer(64, 4096);
        in.put("*7\r\n$4\r\nmset\r\n$2\r\nk0\r\n$2\r\nv0\r\n$2\r\nk1\r\n$2\r\nv1\r\n$2\r\nk2\r\n$2\r\nv2\r\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        RedisRequest request = new RedisRequest();
        assertEquals(RedisRequest.Outcome.REQUEST, new RedisRequestParser().parse(in, request));
        merge.begin(Merge.OK);
        merge.addKey(0);
        merge.addKey(1);
        merge.addKey(0);
        merge.seal();
        Buffer out = new Buffer(64, 4096);
        merge.writePartRequest(out, in, request, RedisCommand.MSET, 0);
        assertEquals("*5\r\n$4\r\nmset\r\n$2\r\nk0\r\n$2\r\nv0\r\n$2\r\nk2\r\n$2\r\nv2\r\n", out.toString(0, out.readable()));
        out.clear();
        merge.writePartRequest(out, in, request, RedisCommand.MSET, 1);
        assertEquals("*3\r\n$4\r\nmset\r\n$2\r\nk1\r\n$2\r\nv1\r\n", out.toString(0, out.readable()));
    }
}
