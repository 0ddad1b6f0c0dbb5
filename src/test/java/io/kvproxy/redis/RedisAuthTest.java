package io.kvproxy.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RedisRequestParser;
import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** AUTH against redis_auth, answered as nutcracker 0.5.0 answered the same requests. */
@Timeout(30)
class RedisAuthTest {

    private static String check(RedisAuth auth, String line) {
        Buffer in = new Buffer(64, 1024);
        in.put(line.getBytes(StandardCharsets.ISO_8859_1));
        RedisRequest request = new RedisRequest();
        assertEquals(RedisRequest.Outcome.REQUEST, new RedisRequestParser().parse(in, request));
        return auth.check(in, request);
    }

    @Test
    void thePasswordAndNothingElse() {
        RedisAuth auth = new RedisAuth("testpass".getBytes(StandardCharsets.UTF_8));
        assertTrue(auth.required());
        assertEquals("+OK", check(auth, "AUTH testpass\r\n"));
        assertEquals("-ERR invalid password", check(auth, "AUTH a\r\n"));
        assertEquals("-ERR invalid password", check(auth, "AUTH testpas\r\n"));
        assertEquals("-ERR invalid password", check(auth, "AUTH testpasss\r\n"));
        assertEquals("-ERR invalid password", check(auth, "*2\r\n$4\r\nAUTH\r\n$0\r\n\r\n"));
        assertEquals("+OK", check(auth, "AUTH default testpass\r\n"));
        assertEquals("+OK", check(auth, "AUTH DEFAULT testpass\r\n"));
        assertEquals("-ERR invalid password", check(auth, "AUTH alice testpass\r\n"));
        assertEquals("-ERR syntax error", check(auth, "AUTH a b c\r\n"));
    }

    @Test
    void aPoolWithoutPassword() {
        RedisAuth auth = new RedisAuth(null);
        assertFalse(auth.required());
        assertEquals("-ERR Client sent AUTH, but no password is set", check(auth, "AUTH testpass\r\n"));
    }
}
