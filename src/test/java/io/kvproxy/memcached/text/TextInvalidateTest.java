package io.kvproxy.memcached.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A repair's delete names any key the server can hold, and its answer is judged in both dialects. */
@Timeout(30)
class TextInvalidateTest {

    private static String deleteOf(byte[] key) {
        Buffer keyBuffer = new Buffer(64, 1024).put(key);
        Buffer out = new Buffer(64, 1024);
        TextInvalidate.writeDelete(out, keyBuffer, 0, key.length);
        return out.toString(0, out.readable());
    }

    @Test
    void aKeyTextCannotCarryIsDeletedInBase64() {
        assertEquals("delete plain:key\r\n", deleteOf("plain:key".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("md YSBi b\r\n", deleteOf("a b".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("md AAH/ b\r\n", deleteOf(new byte[] {0, 1, (byte) 0xff}));
    }

    @Test
    void theServerDeletedOrDidNotHoldTheKey() {
        List<Boolean> verdicts = new ArrayList<>();
        TextInvalidate receiver = new TextInvalidate(verdicts::add);
        for (String reply : new String[] {"DELETED\r\n", "NOT_FOUND\r\n", "OK\r\n", "HD\r\n", "NF\r\n", "EX\r\n",
            "CLIENT_ERROR bad command line format\r\n", "HDX\r\n"}) {
            Buffer buffer = new Buffer(64, 1024).put(reply.getBytes(StandardCharsets.US_ASCII));
            receiver.onReply(buffer, 0, buffer.readable());
        }
        assertEquals(List.of(true, true, true, true, true, false, false, false), verdicts);
    }
}
