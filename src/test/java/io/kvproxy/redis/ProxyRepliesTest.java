package io.kvproxy.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RedisRequestParser;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxy's own replies, against the bytes redis-server 7.0.15 and nutcracker 0.5.0 sent for the same requests. */
@Timeout(30)
class ProxyRepliesTest {

    private final Buffer in = new Buffer(64, 1 << 16);
    private final RedisRequest request = new RedisRequest();

    private RedisRequest parse(String stream) {
        in.clear();
        in.put(stream.getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(RedisRequest.Outcome.REQUEST, new RedisRequestParser().parse(in, request));
        return request;
    }

    private static String text(Buffer out) {
        return out.toString(out.readIndex(), out.readable());
    }

    private String unknown(String stream) {
        parse(stream);
        Buffer out = new Buffer(64, 1 << 16);
        ProxyReplies.writeUnknownCommand(out, in, request);
        return text(out);
    }

    @Test
    void unknownCommandsAreWordedAsRedisServerWordsThem() {
        assertEquals("-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n", unknown("FOO a b\r\n"));
        assertEquals("-ERR unknown command '$4', with args beginning with: \r\n", unknown("$4\r\n"));
        assertEquals("-ERR unknown command '', with args beginning with: \r\n", unknown("*1\r\n$0\r\n\r\n"));
        // CR and LF become spaces; a NUL ends a string.
        assertEquals("-ERR unknown command 'f o', with args beginning with: 'a b' 'c' \r\n",
                unknown("*3\r\n$3\r\nf\ro\r\n$3\r\na\nb\r\n$2\r\nc\u0000\r\n"));
        assertEquals("-ERR unknown command 'f', with args beginning with: 'ab' \r\n", unknown("*2\r\n$2\r\nf\u0000\r\n$2\r\nab\r\n"));
        // The name cut at 128 bytes, the arguments at 128 bytes of quoting in all.
        String reply = unknown("f".repeat(150) + " " + "a".repeat(120) + " bbbbbbbbbbbb ccc\r\n");
        assertEquals("-ERR unknown command '" + "f".repeat(128) + "', with args beginning with: '" + "a".repeat(120) + "' 'bbbbb' \r\n", reply);
    }

    @Test
    void pingEchoAndFailures() {
        Buffer out = new Buffer(64, 1024);
        ProxyReplies.writePing(out, in, parse("PING\r\n"));
        ProxyReplies.writePing(out, in, parse("*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n"));
        ProxyReplies.writeEcho(out, in, parse("ECHO \"a b\"\r\n"));
        assertEquals("+PONG\r\n$2\r\nhi\r\n$3\r\na b\r\n", text(out));
        assertEquals("-ERR Connection timed out", ProxyReplies.failure(BackendFailure.TIMEOUT));
        assertEquals("-ERR Connection refused", ProxyReplies.failure(BackendFailure.UNAVAILABLE));
    }

    @Test
    void loadingBusyAndOutOfMemoryAreFailuresOfTheServer() {
        for (String failure : new String[] {"-LOADING Redis is loading the dataset in memory\r\n",
                "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n",
                "-OOM command not allowed when used memory > 'maxmemory'.\r\n"}) {
            Buffer reply = new Buffer(64, 1024);
            reply.put(failure.getBytes(StandardCharsets.ISO_8859_1));
            assertTrue(ProxyReplies.isServerFailure(reply, 0, reply.readable()), failure);
        }
        for (String answer : new String[] {"-BUSYKEY Target key name already exists.\r\n", "-ERR no such key\r\n",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "+OK\r\n", "$4\r\n-OOM\r\n"}) {
            Buffer reply = new Buffer(64, 1024);
            reply.put(answer.getBytes(StandardCharsets.ISO_8859_1));
            assertFalse(ProxyReplies.isServerFailure(reply, 0, reply.readable()), answer);
        }
    }
}
