package io.kvproxy.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ExtensionSettings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** redis_auth and redis_db: read, refused naming the key, and said to every backend connection. */
@Timeout(30)
class RedisSettingsTest {

    /** Settings as a pool section of one key per line would give them. */
    static ExtensionSettings settings(Map<String, String> keys) {
        List<ExtensionSettings.Setting> list = new ArrayList<>();
        keys.forEach((key, value) -> list.add(new ExtensionSettings.Setting(key, value, list.size() + 2)));
        return new ExtensionSettings(list);
    }

    static RedisSettings parse(Map<String, String> keys) {
        ExtensionSettings settings = settings(keys);
        RedisSettings read = RedisSettings.read(settings);
        assertEquals(List.of(), settings.problems());
        return read;
    }

    private static String refusal(Map<String, String> keys) {
        ExtensionSettings settings = settings(keys);
        RedisSettings.read(settings);
        assertEquals(1, settings.problems().size(), settings.problems().toString());
        ExtensionSettings.Problem problem = settings.problems().get(0);
        return problem.key() + ": " + problem.message();
    }

    @Test
    void keysAreReadAndBadOnesRefused() throws Exception {
        RedisSettings none = parse(Map.of());
        assertNull(none.password());
        assertEquals(0, none.database());
        RedisSettings both = parse(Map.of("redis_auth", "s3cret", "redis_db", "3"));
        assertArrayEquals("s3cret".getBytes(StandardCharsets.UTF_8), both.password());
        assertEquals(3, both.database());
        assertEquals("proto: unknown key for the redis protocol", refusal(Map.of("proto", "text")));
        assertEquals("redis_db: expected a database number, got \"one\"", refusal(Map.of("redis_db", "one")));
        assertEquals("redis_db: expected a database number of 0 or more, got -1", refusal(Map.of("redis_db", "-1")));
        assertEquals("redis_auth: must be 1 to 255 bytes, not 0", refusal(Map.of("redis_auth", "")));
        assertEquals("redis_auth: must be 1 to 255 bytes, not 256", refusal(Map.of("redis_auth", "p".repeat(256))));
    }

    @Test
    void theHandshakeAuthenticatesThenSelects() throws Exception {
        Buffer out = new Buffer(64, 1024);
        BackendHandshake handshake = new BackendHandshake(parse(Map.of("redis_auth", "pw", "redis_db", "12")));
        assertEquals(2, handshake.requestCount());
        handshake.write(out);
        assertEquals("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n", out.toString(0, out.readable()));

        out.clear();
        BackendHandshake plain = new BackendHandshake(parse(Map.of()));
        assertEquals(0, plain.requestCount());
        plain.write(out);
        assertEquals(0, out.readable());

        BackendHandshake.writeProbe(out);
        assertEquals("*1\r\n$4\r\nPING\r\n", out.toString(0, out.readable()));
        Buffer replies = new Buffer(64, 1024);
        replies.put("+OK\r\n+PONG\r\n-NOAUTH Authentication required.\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(true, BackendHandshake.accepted(replies, 0, 5));
        assertEquals(true, BackendHandshake.healthy(replies, 5, 7));
        assertEquals(false, BackendHandshake.accepted(replies, 12, replies.readable() - 12));
        assertEquals(false, BackendHandshake.healthy(replies, 0, 5));
    }

    @Test
    void theProviderReportsEveryBadKeyAtOnce() {
        RedisProvider provider = new RedisProvider();
        assertEquals("redis", provider.name());
        assertEquals(io.kvproxy.spi.ProtocolProvider.SPI_VERSION, provider.spiVersion());
        ExtensionSettings settings = settings(new java.util.LinkedHashMap<>(Map.of("redis_db", "x")));
        provider.validate(settings);
        assertEquals(List.of(new ExtensionSettings.Problem("redis_db", 2, "expected a database number, got \"x\"")),
                settings.problems());
    }
}
