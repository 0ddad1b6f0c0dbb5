package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.route.Ring;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * A kvproxy Redis pool places every key on the server a real nutcracker Redis pool ({@code redis: true})
 * places it on, when both are configured alike: the same server names, weights, hash, distribution and
 * hash_tag. Both proxies run over the same three redis-server processes: keys written through nutcracker
 * are read back through kvproxy (GET and split MGET), keys written through kvproxy are read back through
 * nutcracker, and each key is on exactly one server, the one kvproxy's ring predicts.
 */
class RedisPlacementIT {

    static final int KEYS = 300;
    static final int MGET_KEYS = 25;
    /** A slow moment on a busy machine must not get a server ejected mid-test, which would move its keys. */
    static final String PATIENT = "recv_timeout = 5000";

    static final List<RedisServer> servers = new ArrayList<>();

    @TempDir
    Path dir;
    NutcrackerProcess nutcracker;
    KvproxyProcess kvproxy;

    static Stream<TwemproxyPlacementIT.Combination> combinations() {
        return Stream.of(
                new TwemproxyPlacementIT.Combination("md5", "ketama", null, new int[] {1, 1, 1}, TwemproxyPlacementIT::plainKey, -1),
                new TwemproxyPlacementIT.Combination("fnv1a_64", "ketama", null, new int[] {1, 2, 3}, TwemproxyPlacementIT::plainKey, -1),
                new TwemproxyPlacementIT.Combination("murmur", "ketama", "{}", new int[] {1, 1, 1}, i -> "user:{" + i + "}:x", -1),
                new TwemproxyPlacementIT.Combination("crc32a", "modula", null, new int[] {1, 2, 1}, TwemproxyPlacementIT::plainKey, -1),
                new TwemproxyPlacementIT.Combination("fnv1a_32", "modula", "{}", new int[] {2, 1, 1}, i -> "{s" + i + "}:" + TwemproxyPlacementIT.plainKey(i), -1),
                new TwemproxyPlacementIT.Combination("hsieh", "ketama", null, new int[] {3, 1, 2}, TwemproxyPlacementIT::plainKey, -1));
    }

    @BeforeAll
    static void startServers() throws Exception {
        for (int i = 0; i < 3; i++) {
            servers.add(RedisServer.start(null));
        }
    }

    @AfterAll
    static void stopServers() {
        for (RedisServer server : servers) {
            server.close();
            assertFalse(server.isAlive(), "redis-server " + server.address() + " still running");
        }
        servers.clear();
    }

    @BeforeEach
    void emptyServers() {
        for (RedisServer server : servers) {
            try (Jedis direct = jedis(server.port())) {
                assertEquals("OK", direct.flushAll());
            }
        }
    }

    @AfterEach
    void stopProxies() throws InterruptedException {
        if (kvproxy != null) {
            kvproxy.stop();
        }
        if (nutcracker != null) {
            nutcracker.close();
            assertFalse(nutcracker.isAlive(), "nutcracker pid " + nutcracker.pid() + " still running");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("combinations")
    @Timeout(120)
    void kvproxyAndNutcrackerPlaceEveryKeyOnTheSameServer(TwemproxyPlacementIT.Combination combination) throws Exception {
        nutcracker = NutcrackerProcess.start(dir, port -> TwemproxyPlacementIT.nutcrackerYaml(port, combination, addresses(), true));
        int port = MemcachedServer.freePort();
        kvproxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, PATIENT, TwemproxyPlacementIT.kvproxySections(combination, addresses(), "redis")));
        Ring ring = combination.ring();

        List<String> forward = new ArrayList<>();
        List<String> reverse = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            forward.add("f." + combination.keys().apply(i));
            reverse.add("r." + combination.keys().apply(i));
        }
        writeAll(nutcracker.port(), forward);
        assertAllReadable("written through nutcracker, read through kvproxy", kvproxy.port(), forward);
        writeAll(kvproxy.port(), reverse);
        assertAllReadable("written through kvproxy, read through nutcracker", nutcracker.port(), reverse);

        List<String> all = new ArrayList<>(forward);
        all.addAll(reverse);
        List<List<Boolean>> held = new ArrayList<>();
        for (RedisServer server : servers) {
            held.add(heldBy(server, all));
        }
        List<String> misplaced = new ArrayList<>();
        int[] perServer = new int[servers.size()];
        for (int k = 0; k < all.size(); k++) {
            List<Integer> holders = new ArrayList<>();
            for (int s = 0; s < servers.size(); s++) {
                if (held.get(s).get(k)) {
                    holders.add(s);
                    perServer[s]++;
                }
            }
            int predicted = ring.serverFor(all.get(k).getBytes(StandardCharsets.US_ASCII));
            if (!holders.equals(List.of(predicted))) {
                misplaced.add(all.get(k) + " on " + holders + ", ring says " + predicted);
            }
        }
        assertEquals(List.of(), misplaced.subList(0, Math.min(10, misplaced.size())), misplaced.size() + " keys misplaced");
        assertTrue(Arrays.stream(perServer).filter(count -> count > 0).count() >= 2,
                "the keys should spread over several servers: " + Arrays.toString(perServer));
    }

    private static void writeAll(int port, List<String> keys) {
        try (Jedis jedis = jedis(port)) {
            Pipeline pipeline = jedis.pipelined();
            List<Response<String>> replies = new ArrayList<>();
            for (String key : keys) {
                replies.add(pipeline.set(key, "value of " + key));
            }
            pipeline.sync();
            for (Response<String> reply : replies) {
                assertEquals("OK", reply.get());
            }
        }
    }

    private static void assertAllReadable(String how, int port, List<String> keys) {
        try (Jedis jedis = jedis(port)) {
            List<String> missing = new ArrayList<>();
            for (String key : keys) {
                if (!("value of " + key).equals(jedis.get(key))) {
                    missing.add(key);
                }
            }
            assertEquals(List.of(), missing.subList(0, Math.min(10, missing.size())),
                    missing.size() + " of " + keys.size() + " keys " + how + " were not found (GET)");
            for (int from = 0; from < keys.size(); from += MGET_KEYS) {
                List<String> asked = keys.subList(from, Math.min(keys.size(), from + MGET_KEYS));
                List<String> expected = new ArrayList<>();
                for (String key : asked) {
                    expected.add("value of " + key);
                }
                assertEquals(expected, jedis.mget(asked.toArray(new String[0])), how + " (MGET from key " + from + ")");
            }
        }
    }

    /** Whether {@code server} holds each of {@code keys}, asked directly. */
    private static List<Boolean> heldBy(RedisServer server, List<String> keys) {
        try (Jedis direct = jedis(server.port())) {
            Pipeline pipeline = direct.pipelined();
            List<Response<Boolean>> replies = new ArrayList<>();
            for (String key : keys) {
                replies.add(pipeline.exists(key));
            }
            pipeline.sync();
            List<Boolean> held = new ArrayList<>();
            for (Response<Boolean> reply : replies) {
                held.add(reply.get());
            }
            return held;
        }
    }

    /** A Jedis client that sends nothing on connect: nutcracker closes a connection on CLIENT SETINFO. */
    private static Jedis jedis(int port) {
        return new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder()
                .clientSetInfoConfig(ClientSetInfoConfig.DISABLED).socketTimeoutMillis(10_000).build());
    }

    private static List<String> addresses() {
        List<String> addresses = new ArrayList<>();
        for (RedisServer server : servers) {
            addresses.add(server.address());
        }
        return addresses;
    }
}
