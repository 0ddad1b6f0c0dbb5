package io.kvproxy.redis.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.MalformedReplyException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * RESP2 replies framed whole, split at every byte and fed one byte at a time: each reply's frames,
 * joined, are exactly its bytes, and no frame holds bytes of two replies.
 */
@Timeout(60)
class RespReplyFramerTest {

    /**
     * Frames {@code stream} as {@code replies} replies, fed in chunks cut at {@code cuts}, into a buffer of at
     * most {@code maxCapacity}. Returns each reply's frames: "part " before a frame that does not end it.
     */
    private static List<List<String>> frame(byte[] stream, int replies, boolean values, int maxCapacity, int... cuts)
            throws MalformedReplyException {
        Buffer in = new Buffer(8, maxCapacity);
        RespReplyFramer framer = new RespReplyFramer();
        int expectation = framer.expectation(new FramingReceiver(values));
        List<List<String>> framed = new ArrayList<>();
        List<List<String>> current = new ArrayList<>(List.of(new ArrayList<>()));
        try {
            SplitFeed.feed(stream, in, cuts, buffer -> {
                int length;
                while (framed.size() < replies && (length = framer.frame(buffer, expectation)) > 0) {
                    boolean ends = framer.endsReply();
                    current.get(0).add((ends ? "" : "part ") + buffer.toString(buffer.readIndex(), length));
                    buffer.skip(length);
                    if (ends) {
                        framed.add(current.get(0));
                        current.set(0, new ArrayList<>());
                    }
                }
                buffer.compact();
                return true;
            });
        } catch (MalformedReplyException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        if (!current.get(0).isEmpty()) {
            framed.add(current.get(0));
        }
        return framed;
    }

    /** Checks every split: the replies come out whole and alike; returns the frames of the whole stream. */
    private static List<List<String>> frameEverySplit(String stream, int replies, boolean values) throws Exception {
        byte[] bytes = stream.getBytes(StandardCharsets.ISO_8859_1);
        List<List<String>> whole = frame(bytes, replies, values, 1 << 20);
        for (int cut = 1; cut < bytes.length; cut++) {
            assertEquals(joined(whole), joined(frame(bytes, replies, values, 1 << 20, cut)), "split at " + cut);
        }
        List<List<String>> oneByOne = frame(bytes, replies, values, 1 << 20, SplitFeed.everyByte(bytes.length));
        assertEquals(joined(whole), joined(oneByOne), "byte by byte");
        if (values) {
            // One value per frame, however the bytes came.
            assertEquals(whole, oneByOne, "byte by byte, value by value");
        }
        return whole;
    }

    /** Each reply's bytes, its frames joined. */
    private static List<String> joined(List<List<String>> replies) {
        List<String> joined = new ArrayList<>();
        for (List<String> frames : replies) {
            StringBuilder text = new StringBuilder();
            for (String frame : frames) {
                text.append(frame.startsWith("part ") ? frame.substring(5) : frame);
            }
            joined.add(text.toString());
        }
        return joined;
    }

    @Test
    void everyKindOfReplyIsOneReply() throws Exception {
        String stream = "+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$-1\r\n$0\r\n\r\n*-1\r\n*0\r\n";
        List<List<String>> frames = frameEverySplit(stream, 9, false);
        assertEquals(List.of("+OK\r\n", "-ERR wrong\r\n", ":42\r\n", ":-7\r\n", "$5\r\nhello\r\n", "$-1\r\n", "$0\r\n\r\n",
                "*-1\r\n", "*0\r\n"), joined(frames));
    }

    @Test
    void nestedArraysEndWhereTheirLastValueEnds() throws Exception {
        String nested = "*3\r\n*2\r\n$1\r\na\r\n*0\r\n*-1\r\n*1\r\n*1\r\n:1\r\n";
        String stream = nested + "+NEXT\r\n";
        assertEquals(List.of(nested, "+NEXT\r\n"), joined(frameEverySplit(stream, 2, false)));
        // Whole in the buffer: one frame. Value by value: header, header, bulk, ..., in order.
        assertEquals(List.of(List.of(nested), List.of("+NEXT\r\n")), frame(stream.getBytes(StandardCharsets.ISO_8859_1), 2, false, 1 << 20));
        assertEquals(List.of("part *3\r\n", "part *2\r\n", "part $1\r\na\r\n", "part *0\r\n", "part *-1\r\n", "part *1\r\n",
                "part *1\r\n", ":1\r\n"), frameEverySplit(stream, 2, true).get(0));
    }

    @Test
    void bulkBytesThatLookLikeProtocolAreData() throws Exception {
        String tricky = "*1\r\n+OK\r\n";
        String stream = "*2\r\n$" + tricky.length() + "\r\n" + tricky + "\r\n$-1\r\n:5\r\n";
        assertEquals(List.of("*2\r\n$" + tricky.length() + "\r\n" + tricky + "\r\n$-1\r\n", ":5\r\n"), joined(frameEverySplit(stream, 2, false)));
    }

    @Test
    void aReplyLargerThanTheBufferComesInPartsOfWholeValues() throws Exception {
        StringBuilder reply = new StringBuilder("*20\r\n");
        for (int i = 0; i < 20; i++) {
            reply.append("$40\r\n").append("v".repeat(40)).append("\r\n");
        }
        byte[] bytes = (reply + "+OK\r\n").getBytes(StandardCharsets.ISO_8859_1);
        // A buffer of 128 bytes holds two values at most: the reply can only pass in parts.
        List<List<String>> framed = frame(bytes, 2, false, 128);
        assertEquals(List.of(reply.toString(), "+OK\r\n"), joined(framed));
        for (String part : framed.get(0)) {
            assertEquals(true, part.length() <= 128 + 5, part);
        }
    }

    @Test
    void malformedRepliesAreRefused() {
        for (String bad : new String[] {"?\r\n", ":x\r\n", ":\r\n", "$-2\r\n", "$x\r\n", "*-2\r\n", "*2147483648\r\n",
                "$3\r\nabcde\r\n", "+OK\n", "$536870913\r\n"}) {
            assertThrows(MalformedReplyException.class,
                    () -> frame(bad.getBytes(StandardCharsets.ISO_8859_1), 1, false, 1 << 30), bad);
        }
        // A bulk string larger than the buffer can hold.
        assertThrows(MalformedReplyException.class, () -> frame("$2000\r\n".getBytes(StandardCharsets.ISO_8859_1), 1, false, 1024));
        // A line that never ends.
        assertThrows(MalformedReplyException.class, () -> frame(("+" + "x".repeat(64 * 1024 + 2)).getBytes(StandardCharsets.ISO_8859_1), 1, false, 1 << 20));
    }

    @Test
    void aResetForgetsTheReplyInProgress() throws Exception {
        Buffer in = new Buffer(64, 1024);
        RespReplyFramer framer = new RespReplyFramer();
        in.put("*2\r\n:1\r\n".getBytes(StandardCharsets.ISO_8859_1));
        int length = framer.frame(in, 0);
        assertEquals(8, length);
        assertEquals(false, framer.endsReply());
        in.clear();
        framer.reset();
        in.put(":9\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(4, framer.frame(in, 0));
        assertEquals(true, framer.endsReply());
    }
}
