package io.kvproxy.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextReplyParserTest {

    /** Every kind of reply, a value holding what looks like reply lines, a value split over CRLF. */
    static final String REPLIES = "VALUE a 0 5\r\nhello\r\nVALUE bb 7 12\r\nEND\r\nVALUE x\r\nEND\r\n"
            + "END\r\n"
            + "STORED\r\nNOT_STORED\r\nEXISTS\r\nNOT_FOUND\r\n"
            + "VALUE c 0 0\r\n\r\nEND\r\n"
            + "SERVER_ERROR backend timeout\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\n"
            + "VALUE d 1 3 99\r\nabc\r\nVALUE e 0 1\r\nz\r\nEND\r\n";
    static final List<String> EXPECTED = List.of("2 ok", "0 ok", "0 ok", "0 ok", "0 ok", "0 ok", "1 ok",
            "0 error", "0 error", "0 error", "2 ok");

    @Test
    void framesEveryReplyWhereverTheInputIsSplit() {
        byte[] bytes = REPLIES.getBytes(StandardCharsets.US_ASCII);
        for (int split = 0; split <= bytes.length; split++) {
            TextReplyParser parser = new TextReplyParser();
            List<String> replies = new ArrayList<>();
            parser.parse(ByteBuffer.wrap(bytes, 0, split), (hits, error) -> replies.add(hits + (error ? " error" : " ok")));
            parser.parse(ByteBuffer.wrap(bytes, split, bytes.length - split), (hits, error) -> replies.add(hits + (error ? " error" : " ok")));
            assertEquals(EXPECTED, replies, "split at " + split);
        }
    }

    @Test
    void framesRepliesFedOneByteAtATime() {
        byte[] bytes = REPLIES.getBytes(StandardCharsets.US_ASCII);
        TextReplyParser parser = new TextReplyParser();
        List<String> replies = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            parser.parse(ByteBuffer.wrap(bytes, i, 1), (hits, error) -> replies.add(hits + (error ? " error" : " ok")));
        }
        assertEquals(EXPECTED, replies);
    }

    @Test
    void refusesWhatNoMemcachedReplyLooksLike() {
        TextReplyParser parser = new TextReplyParser();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> parser.parse(ByteBuffer.wrap("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII)), (h, err) -> { }));
        assertEquals("not a memcached text reply: \"HTTP/1.1 200 OK\"", e.getMessage());
        assertThrows(IllegalStateException.class, () -> new TextReplyParser()
                .parse(ByteBuffer.wrap("VALUE a 0 -1\r\n".getBytes(StandardCharsets.US_ASCII)), (h, err) -> { }));
        assertThrows(IllegalStateException.class, () -> new TextReplyParser()
                .parse(ByteBuffer.wrap("x".repeat(2000).getBytes(StandardCharsets.US_ASCII)), (h, err) -> { }));
    }
}
