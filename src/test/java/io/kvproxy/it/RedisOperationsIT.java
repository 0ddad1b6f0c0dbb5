package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Ring;
import io.kvproxy.route.RingNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Operating a Redis pool, end to end against real redis-server processes and the real daemon: a reload
 * that adds a server moves only the keys the new ring moves while a pipelining client goes on; protocol
 * keys (redis_auth, redis_db) cannot change live and a bad one is refused naming file, line and key, the
 * pool serving on with its old settings; the stats port and a real Prometheus scrape show the pool's
 * requests, the Redis protocol's own counters and a killed server's ejection and return; a memcached and
 * a Redis pool in one daemon are reloaded together and keep their own keys and counters.
 */
@Timeout(180)
class RedisOperationsIT {

    private static final Duration REFUSED_OR_APPLIED = Duration.ofSeconds(20);
    /** What the pipelining client reads for an error reply, already listed as a problem. */
    private static final String ERROR_READ = "<error>";

    @TempDir
    Path dir;
    final List<RedisServer> servers = new ArrayList<>();
    final List<MemcachedServer> memcached = new ArrayList<>();
    KvproxyProcess proxy;
    PrometheusProcess prometheus;
    final AtomicBoolean running = new AtomicBoolean(true);
    Thread pipeliner;

    @AfterEach
    void stop() throws Exception {
        running.set(false);
        if (pipeliner != null) {
            pipeliner.join(10_000);
            assertFalse(pipeliner.isAlive(), "the pipelining client did not end");
        }
        if (prometheus != null) {
            prometheus.close();
            assertFalse(prometheus.isAlive(), "prometheus still running");
        }
        if (proxy != null) {
            assertEquals(0, proxy.stop(), proxy.log());
        }
        for (RedisServer server : servers) {
            server.close();
            assertFalse(server.isAlive(), "redis-server " + server.address() + " still running");
        }
        KvproxyProcess.stopAll(null, memcached);
    }

    /** A server of the Redis cluster: which of the test's servers, and its ring id. */
    record Member(int server, String id) {
    }

    private String cluster(String name, List<Member> members) {
        StringBuilder section = new StringBuilder("[" + name + "]\n");
        for (Member member : members) {
            section.append(servers.get(member.server()).address()).append(" = \"").append(member.id()).append(":100\"\n");
        }
        return section.append('\n').toString();
    }

    /** The Redis pool [redis] over {@code members}, {@code protocolKeys} lines in it, on the [kvproxy] port. */
    private String redisPool(List<Member> members, String protocolKeys) {
        return "[redis]\nextension = redis.jar\nhosts = master\nhash = fnv1a_64\n" + protocolKeys + "\n" + cluster("master", members);
    }

    private static Ring ring(List<Member> members) {
        List<RingNode> nodes = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            nodes.add(new RingNode(members.get(i).id(), 100, i));
        }
        return Ring.build(Distribution.KETAMA, HashFunction.FNV1A_64, null, nodes);
    }

    private void startServers(int count, String password) throws Exception {
        for (int i = 0; i < count; i++) {
            servers.add(RedisServer.start(password));
        }
    }

    /**
     * A Jedis client of the proxy that sends nothing unasked: Jedis 8 otherwise opens each connection with
     * two CLIENT SETINFO, which this test would count among the pool's requests.
     */
    private static Jedis client(int port) {
        return new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder().socketTimeoutMillis(5000)
                .connectionTimeoutMillis(5000).clientSetInfoConfig(ClientSetInfoConfig.DISABLED).build());
    }

    private Jedis direct(int server) {
        return new Jedis("127.0.0.1", servers.get(server).port(), 5000);
    }

    private Path file() {
        return dir.resolve("kvproxy.ini");
    }

    /** Writes {@code text} as the daemon's file, sends SIGHUP and returns the problems or changes it logged. */
    private Reload reload(String text) throws Exception {
        int before = outcomes(proxy.log());
        Files.writeString(file(), text);
        Signals.send("HUP", proxy.pid());
        assertTrue(Await.until(REFUSED_OR_APPLIED, () -> outcomes(proxy.log()) > before), "reload not answered:\n" + proxy.log());
        int attempt = before + 1;
        List<String> lines = proxy.log().lines().filter(line -> line.contains("Reloader") && line.contains("reload " + attempt + ": "))
                .map(line -> line.substring(line.indexOf("reload " + attempt + ": ") + ("reload " + attempt + ": ").length())).toList();
        boolean applied = proxy.log().lines().anyMatch(line -> line.matches(".*reload " + attempt + " of .* applied.*"));
        return new Reload(applied, lines);
    }

    /** One reload's outcome, as the log has it: applied or refused, and its change or problem lines. */
    record Reload(boolean applied, List<String> lines) {
    }

    private static int outcomes(String log) {
        return (int) log.lines().filter(line -> line.matches(".*reload [0-9]+ of .* (applied|refused).*")).count();
    }

    /** The 1-based line of {@code file} that starts with {@code prefix} (the first one after {@code section}). */
    private static int lineOf(String text, String section, String prefix) {
        String[] lines = text.split("\n", -1);
        boolean in = false;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("[")) {
                in = lines[i].equals("[" + section + "]");
            } else if (in && lines[i].startsWith(prefix)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("no line " + prefix + " in [" + section + "] of\n" + text);
    }

    @Test
    void aServerAddedByReloadTakesOnlyTheKeysTheNewRingGivesItAndPipelinedClientsGoOn() throws Exception {
        startServers(3, null);
        List<Member> two = List.of(new Member(0, "r1"), new Member(1, "r2"));
        List<Member> three = List.of(new Member(0, "r1"), new Member(1, "r2"), new Member(2, "r3"));
        int port = MemcachedServer.freePort();
        // A generous recv_timeout, as ReloadIT's: on a machine shared with other tests a starved 100 ms one
        // times requests out whatever the reload does, and this test is about the reload.
        String kvproxy = "recv_timeout = 2000\nfailover_threshold = 1000";
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, kvproxy, redisPool(two, "")));
        int keys = 300;
        Ring before = ring(two);
        Ring after = ring(three);
        try (Jedis jedis = client(port)) {
            for (int i = 0; i < keys; i++) {
                assertEquals("OK", jedis.set("placed:" + i, "v" + i));
            }
        }
        for (int i = 0; i < keys; i++) {
            String key = "placed:" + i;
            assertHeldOnlyBy(key, before.serverFor(bytes(key)), two);
        }
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong batches = new AtomicLong();
        AtomicLong misses = new AtomicLong();
        pipeliner = pipelining(port, problems, batches, misses);
        long beforeReload = batches.get();
        assertTrue(Await.until(Duration.ofSeconds(10), () -> batches.get() > beforeReload + 20), "the pipelining client stalled");

        long signalled = batches.get();
        Reload reload = reload(KvproxyProcess.config(port, dir, kvproxy, redisPool(three, "")));
        String during = "the reload ran from batch " + signalled + " to " + batches.get();
        assertTrue(reload.applied(), reload.lines().toString());
        assertTrue(reload.lines().stream().anyMatch(line -> line.startsWith("pool redis: hosts + " + servers.get(2).address())),
                reload.lines().toString());
        long afterReload = batches.get();
        assertTrue(Await.until(Duration.ofSeconds(10), () -> batches.get() > afterReload + 20), "the pipelining client stalled after the reload");

        int moved = 0;
        try (Jedis jedis = client(port)) {
            for (int i = 0; i < keys; i++) {
                String key = "placed:" + i;
                int was = before.serverFor(bytes(key));
                int now = after.serverFor(bytes(key));
                if (was == now) {
                    assertEquals("v" + i, jedis.get(key), key + " stays on " + three.get(now) + " by the new ring, yet reads otherwise");
                } else {
                    moved++;
                    // Ketama moves keys only to the server added, never between the servers that stay.
                    assertEquals(2, now, key + " moved from " + two.get(was) + " to " + three.get(now));
                    assertNull(jedis.get(key), key + " now belongs to the empty " + three.get(now));
                    assertEquals("OK", jedis.set(key, "w" + i));
                }
                assertHeldOnlyBy(key, was == now ? now : -1, three, was, now);
            }
        }
        assertTrue(moved > keys / 6 && moved < keys / 2, moved + " of " + keys + " keys moved to the third server");
        running.set(false);
        pipeliner.join(10_000);
        assertEquals(List.of(), List.copyOf(problems), during);
        System.out.println("RedisOperationsIT: " + batches.get() + " pipelined batches across the reload, " + misses.get()
                + " gets of a key whose server changed between its SET and its GET; " + moved + " of " + keys + " keys moved");
    }

    /** {@code key} is on {@code owner} of {@code members} and on no other. */
    private void assertHeldOnlyBy(String key, int owner, List<Member> members) {
        for (int s = 0; s < members.size(); s++) {
            try (Jedis one = direct(members.get(s).server())) {
                assertEquals(s == owner, one.exists(key), key + " on " + members.get(s) + " (the ring says " + members.get(owner) + ")");
            }
        }
    }

    /** A moved key: its stale copy on its old server {@code was}, the new value on {@code now}, nowhere else. */
    private void assertHeldOnlyBy(String key, int owner, List<Member> members, int was, int now) {
        if (owner >= 0) {
            assertHeldOnlyBy(key, owner, members);
            return;
        }
        for (int s = 0; s < members.size(); s++) {
            try (Jedis one = direct(members.get(s).server())) {
                assertEquals(s == was || s == now, one.exists(key), key + " on " + members.get(s));
                if (s == now) {
                    assertTrue(one.get(key).startsWith("w"), key + " on its new server " + members.get(s) + ": " + one.get(key));
                }
            }
        }
    }

    /**
     * A client pipelining batches of ECHO, SET, GET until told to stop: the ECHOs, answered by the proxy,
     * prove every reply came in its request's place; a GET of the SET before it reads its value, or nil when
     * a reload gave the key another server between the two.
     */
    private Thread pipelining(int port, ConcurrentLinkedQueue<String> problems, AtomicLong batches, AtomicLong misses) {
        Thread thread = new Thread(() -> {
            try (Jedis jedis = client(port)) {
                long seq = 0;
                while (running.get()) {
                    Pipeline pipeline = jedis.pipelined();
                    List<Response<Object>> echoes = new ArrayList<>();
                    List<Response<String>> sets = new ArrayList<>();
                    List<Response<String>> gets = new ArrayList<>();
                    long first = seq;
                    for (int i = 0; i < 16; i++, seq++) {
                        echoes.add(pipeline.sendCommand(redis.clients.jedis.Protocol.Command.ECHO, "at " + seq));
                        sets.add(pipeline.set("pipe:" + seq, "value " + seq));
                        gets.add(pipeline.get("pipe:" + seq));
                    }
                    pipeline.sync();
                    for (int i = 0; i < 16; i++) {
                        long at = first + i;
                        Object echo = echoes.get(i).get();
                        String echoed = echo instanceof byte[] raw ? new String(raw, StandardCharsets.UTF_8) : String.valueOf(echo);
                        if (!echoed.equals("at " + at)) {
                            problems.add("echo " + at + " answered " + echoed);
                        }
                        check(problems, "batch " + (at / 16) + ": set pipe:" + at, "OK", sets.get(i));
                        String got = read(problems, "get pipe:" + at, gets.get(i));
                        if (got == null) {
                            misses.incrementAndGet();
                        } else if (!got.equals("value " + at) && !got.equals(ERROR_READ)) {
                            problems.add("get pipe:" + at + " answered " + got);
                        }
                    }
                    batches.incrementAndGet();
                }
            } catch (RuntimeException e) {
                problems.add("the pipelining client failed: " + e);
            }
        }, "redis-pipelining-client");
        thread.start();
        return thread;
    }

    private static void check(ConcurrentLinkedQueue<String> problems, String what, String expected, Response<String> reply) {
        String got = read(problems, what, reply);
        if (!expected.equals(got) && !got.equals(ERROR_READ)) {
            problems.add(what + " answered " + got);
        }
    }

    private static String read(ConcurrentLinkedQueue<String> problems, String what, Response<String> reply) {
        try {
            return reply.get();
        } catch (JedisDataException e) {
            problems.add(what + " answered -" + e.getMessage());
            return ERROR_READ;
        }
    }

    /**
     * redis_auth and redis_db are protocol keys, which the README's reload table says only a restart
     * changes: a reload changing one is refused naming the key and its line (never the password); an unknown
     * key or a bad redis_db is refused naming file, line and key; and after each the pool serves on with its
     * old settings, on new backend connections too.
     */
    @Test
    void protocolKeysCannotChangeLiveAndBadOnesAreRefusedNamingFileLineAndKey() throws Exception {
        startServers(1, "old-secret");
        List<Member> one = List.of(new Member(0, "r1"));
        int port = MemcachedServer.freePort();
        String kvproxy = "stats_port = " + MemcachedServer.freePort() + "\nfailover_interval = 1\nfailover_threshold = 2\nrecv_timeout = 1000";
        String started = KvproxyProcess.config(port, dir, kvproxy, redisPool(one, "redis_auth = old-secret\nredis_db = 1\n"));
        proxy = KvproxyProcess.start(dir, port, started);
        assertWritesLandInDatabaseOne(port, "start");

        String[][] refusals = {
            {"redis_auth = old-secret\nredis_db = 2\n", "redis_db", "a pool's protocol keys cannot change while kvproxy runs"},
            {"redis_db = 1\nredis_auth = new-secret\n", "redis_auth", "a pool's protocol keys cannot change while kvproxy runs"},
            {"redis_db = 1\nredis_auth = old-secret\nredis_dbs = 1\n", "redis_dbs", "unknown key for the redis protocol"},
            {"redis_db = -1\nredis_auth = old-secret\n", "redis_db", "expected a database number of 0 or more, got -1"},
            {"redis_db = two\nredis_auth = old-secret\n", "redis_db", "expected a database number, got \"two\""},
        };
        for (String[] refusal : refusals) {
            String text = KvproxyProcess.config(port, dir, kvproxy, redisPool(one, refusal[0]));
            Reload reload = reload(text);
            assertFalse(reload.applied(), refusal[0] + " was applied: " + reload.lines());
            String expected = file() + ":" + lineOf(text, "redis", refusal[1] + " ") + ": [redis] " + refusal[1] + ": " + refusal[2];
            assertTrue(reload.lines().stream().anyMatch(line -> line.startsWith(expected)),
                    refusal[0] + ": expected a problem starting\n  " + expected + "\ngot " + reload.lines());
            assertEquals(1, reload.lines().size(), refusal[0] + ": " + reload.lines());
            assertFalse(proxy.log().contains("new-secret"), "the log shows a password:\n" + proxy.log());
            assertWritesLandInDatabaseOne(port, "after " + refusal[0].trim());
        }
        Map<String, Object> pool = pool(StatsJson.read(statsPort(started)), "redis");
        assertEquals(1L, pool.get("kvproxy_config_generation"), "a refused reload changed the generation");

        // New backend connections, after the server's restart, still say the old AUTH and SELECT.
        int serverPort = servers.get(0).port();
        servers.get(0).close();
        servers.set(0, RedisServer.startOn(serverPort, "old-secret"));
        try (Jedis jedis = client(port)) {
            assertEquals("OK", jedis.auth("old-secret"));
            assertTrue(Await.until(Duration.ofSeconds(20), () -> {
                try {
                    return "OK".equals(jedis.set("after-restart", "yes"));
                } catch (JedisDataException e) {
                    return false;
                }
            }), "the restarted server never took a write:\n" + proxy.log());
        }
        assertWritesLandInDatabaseOne(port, "after the server restarted");
    }

    private static int statsPort(String text) {
        return Integer.parseInt(text.lines().filter(line -> line.startsWith("stats_port = ")).findFirst().orElseThrow().substring(13));
    }

    private void assertWritesLandInDatabaseOne(int port, String when) {
        String key = "db-check:" + when.hashCode();
        try (Jedis jedis = client(port)) {
            JedisDataException noAuth = assertThrows(JedisDataException.class, () -> jedis.get(key), when);
            assertEquals("NOAUTH Authentication required", noAuth.getMessage(), when);
            assertEquals("OK", jedis.auth("old-secret"), when);
            assertEquals("OK", jedis.set(key, when), when);
        }
        try (Jedis server = direct(0)) {
            server.auth("old-secret");
            assertNull(server.get(key), when + ": the write went to database 0");
            server.select(1);
            assertEquals(when, server.get(key), when + ": the write is not in database 1");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> pool(Map<String, Object> stats, String name) {
        Object pool = stats.get(name);
        assertTrue(pool instanceof Map, "no pool " + name + " on the stats port: " + stats);
        return (Map<String, Object>) pool;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> server(Map<String, Object> pool, String id) {
        Object server = pool.get(id);
        assertTrue(server instanceof Map, "no server " + id + " in " + pool);
        return (Map<String, Object>) server;
    }

    /**
     * The stats port and a real Prometheus scraping the metrics port show a Redis pool: its client requests,
     * the Redis protocol's own counters, the requests each server took, and a killed server out of the ring,
     * then back once restarted.
     */
    @Test
    void theStatsPortAndPrometheusShowARedisPoolAndItsServersState() throws Exception {
        startServers(2, "s3cret");
        List<Member> two = List.of(new Member(0, "r1"), new Member(1, "r2"));
        int port = MemcachedServer.freePort();
        int statsPort = MemcachedServer.freePort();
        int metricsPort = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "stats_port = " + statsPort + "\nmetrics_port = " + metricsPort
                + "\nrecv_timeout = 1000\nfailover_interval = 1\nfailover_threshold = 2", redisPool(two, "redis_auth = s3cret\n")));
        prometheus = PrometheusProcess.start(dir, metricsPort);
        awaitValue("up{job=\"kvproxy\"}", 1);

        int sets = 40;
        int gets = 30;
        try (Jedis jedis = client(port)) {
            assertThrows(JedisDataException.class, () -> jedis.get("before-auth"));
            assertThrows(JedisDataException.class, () -> jedis.auth("wrong"));
            assertEquals("OK", jedis.auth("s3cret"));
            for (int i = 0; i < sets; i++) {
                assertEquals("OK", jedis.set("metric:" + i, "v"));
            }
            for (int i = 0; i < gets; i++) {
                assertEquals("v", jedis.get("metric:" + i));
            }
            assertThrows(JedisDataException.class, () -> jedis.keys("*"));
            assertThrows(JedisDataException.class, () -> jedis.flushAll());
            assertThrows(JedisDataException.class, () -> jedis.sendCommand(() -> bytes("NOSUCH"), "a"));
        }
        // get, auth, auth, sets, gets, keys, flushall, nosuch
        long requests = 3 + sets + gets + 3;
        Map<String, Object> pool = pool(StatsJson.read(statsPort), "redis");
        assertEquals(requests, pool.get("kvproxy_requests"), pool.toString());
        assertEquals(2L, pool.get("kvproxy_redis_unsupported_commands"), pool.toString());
        assertEquals(1L, pool.get("kvproxy_redis_unknown_commands"), pool.toString());
        assertEquals(1L, pool.get("kvproxy_redis_auth_failures"), pool.toString());
        assertEquals(1L, pool.get("kvproxy_redis_noauth_refused"), pool.toString());
        assertFalse(pool.containsKey("kvproxy_cmd_get"), "a Redis pool shows memcached's counters: " + pool);
        long served = 0;
        for (Member member : two) {
            Map<String, Object> server = server(pool, member.id());
            assertEquals(servers.get(member.server()).address(), server.get("kvproxy_address"));
            assertEquals(1L, server.get("kvproxy_online"));
            long taken = (Long) server.get("requests");
            assertTrue(taken > 0, member + " took no request: " + server);
            served += taken;
        }
        // The backend handshakes (AUTH, SELECT) are the servers' requests too, so at least the client's reached them.
        assertTrue(served >= sets + gets, "the servers took " + served + " requests");

        awaitValue("kvproxy_requests_total{pool=\"redis\"}", requests);
        awaitValue("kvproxy_redis_unsupported_commands_total{pool=\"redis\"}", 2);
        awaitValue("kvproxy_redis_unknown_commands_total{pool=\"redis\"}", 1);
        awaitValue("kvproxy_redis_auth_failures_total{pool=\"redis\"}", 1);
        awaitValue("kvproxy_redis_noauth_refused_total{pool=\"redis\"}", 1);
        awaitValue("sum(kvproxy_server_requests_total{pool=\"redis\",command=\"set\"})", sets);
        awaitValue("sum(kvproxy_server_requests_total{pool=\"redis\",command=\"get\"})", gets);
        awaitValue("sum(kvproxy_server_request_duration_seconds_count{pool=\"redis\",command=\"get\"})", gets);
        awaitValue("kvproxy_client_connections", 0);
        // The exposition with a Redis pool's counters in it passes promtool, its lint included.
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("kvproxy_redis_unsupported_commands_total{pool=\"redis\"} 2"), metrics.body());
        PrometheusProcess.Verdict verdict = PrometheusProcess.checkMetrics(dir.resolve("metrics.txt"), metrics.body());
        assertEquals(0, verdict.exitCode(), "promtool check metrics: " + verdict.output());
        assertEquals("", verdict.output(), "promtool's lint");

        // r2 killed: ejected on the stats port and in Prometheus; restarted: back in both.
        String r2 = "pool=\"redis\",server=\"" + servers.get(1).address() + "\"";
        int r2Port = servers.get(1).port();
        servers.get(1).close();
        try (Jedis jedis = client(port)) {
            assertEquals("OK", jedis.auth("s3cret"));
            assertTrue(Await.until(Duration.ofSeconds(20), () -> {
                for (int i = 0; i < 20; i++) {
                    try {
                        jedis.set("metric:" + i, "again");
                    } catch (JedisDataException e) {
                        // Until the server is out of the ring its keys fail; the failures are what eject it.
                    }
                }
                return serverField(statsPort, "r2", "kvproxy_online") == 0;
            }), "r2 never ejected:\n" + proxy.log());
        }
        pool = pool(StatsJson.read(statsPort), "redis");
        assertEquals(1L, pool.get("server_ejects"), pool.toString());
        assertTrue((Long) server(pool, "r2").get("server_ejected_at") > 0, pool.toString());
        assertEquals(1L, server(pool, "r1").get("kvproxy_online"));
        awaitValue("kvproxy_server_in_ring{" + r2 + "}", 0);
        awaitValue("kvproxy_server_ejections_total{" + r2 + "}", 1);
        Map<String, Object> dead = server(pool, "r2");
        // Its connections were closed by its end, then refused: the failures that took it out.
        assertTrue((Long) dead.get("server_eof") + (Long) dead.get("server_err") > 0 && (Long) dead.get("kvproxy_failures") >= 2,
                "r2's failures are not on the stats port: " + dead);

        servers.set(1, RedisServer.startOn(r2Port, "s3cret"));
        assertTrue(Await.until(Duration.ofSeconds(20), () -> serverField(statsPort, "r2", "kvproxy_online") == 1),
                "r2 never rejoined:\n" + proxy.log());
        awaitValue("kvproxy_server_in_ring{" + r2 + "}", 1);
        awaitValue("kvproxy_server_ejections_total{" + r2 + "}", 1);
        try (Jedis jedis = client(port)) {
            assertEquals("OK", jedis.auth("s3cret"));
            for (int i = 0; i < 20; i++) {
                assertEquals("OK", jedis.set("metric:" + i, "back"));
            }
        }
    }

    private static long serverField(int statsPort, String id, String field) {
        try {
            return (Long) server(pool(StatsJson.read(statsPort), "redis"), id).get(field);
        } catch (IOException e) {
            return -1;
        }
    }

    /** Waits until Prometheus' latest sample of {@code promql} is {@code expected}. */
    private void awaitValue(String promql, double expected) throws Exception {
        OptionalDouble[] last = {OptionalDouble.empty()};
        boolean reached = Await.until(Duration.ofSeconds(30), () -> {
            try {
                last[0] = prometheus.query(promql);
            } catch (IOException e) {
                last[0] = OptionalDouble.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            return last[0].isPresent() && last[0].getAsDouble() == expected;
        });
        assertTrue(reached, promql + ": expected " + expected + ", Prometheus has " + last[0]);
    }

    /**
     * A memcached pool and a Redis pool in one daemon, each given a server by one reload: each places its
     * keys by its own new ring, a key of the same name is its own in each, and each pool's counters count
     * its own requests only, across the reload.
     */
    @Test
    void aMemcachedAndARedisPoolReloadedTogetherKeepTheirOwnKeysAndCounters() throws Exception {
        startServers(3, null);
        for (int i = 0; i < 3; i++) {
            memcached.add(MemcachedServer.start());
        }
        int port = MemcachedServer.freePort();
        int redisPort = MemcachedServer.freePort();
        int statsPort = MemcachedServer.freePort();
        String kvproxy = "stats_port = " + statsPort + "\nrecv_timeout = 2000";
        List<Member> two = List.of(new Member(0, "r1"), new Member(1, "r2"));
        List<Member> three = List.of(new Member(0, "r1"), new Member(1, "r2"), new Member(2, "r3"));
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, kvproxy, mixed(redisPort, two, 2)));
        assertTrue(Await.until(Duration.ofSeconds(10), () -> MemcachedServer.accepts(redisPort)), proxy.log());

        int keys = 40;
        // Both clients stay connected across the reload.
        try (RawClient mc = new RawClient(port); Jedis redis = client(redisPort)) {
            traffic(mc, redis, keys, "one");
            assertPoolCounters(statsPort, keys, 1);

            Reload reload = reload(KvproxyProcess.config(port, dir, kvproxy, mixed(redisPort, three, 3)));
            assertTrue(reload.applied(), reload.lines().toString());
            assertEquals(2, reload.lines().size(), reload.lines().toString());
            assertTrue(reload.lines().get(0).startsWith("pool memcached: hosts + " + memcached.get(2).address()), reload.lines().toString());
            assertTrue(reload.lines().get(1).startsWith("pool redis: hosts + " + servers.get(2).address()), reload.lines().toString());

            traffic(mc, redis, keys, "two");
            assertPoolCounters(statsPort, keys, 2);
        }
        Map<String, Object> stats = StatsJson.read(statsPort);
        assertEquals(2L, pool(stats, "memcached").get("kvproxy_config_generation"));
        assertEquals(2L, pool(stats, "redis").get("kvproxy_config_generation"));
        assertTrue((Long) server(pool(stats, "redis"), "r3").get("requests") > 0, "r3 took nothing: " + stats);
        assertTrue((Long) server(pool(stats, "memcached"), "3").get("requests") > 0, "memcached 3 took nothing: " + stats);

        // Each pool placed the second round's keys by its own new ring.
        Ring redisRing = ring(three);
        Ring memcachedRing = Ring.build(Distribution.KETAMA, HashFunction.MD5, null,
                List.of(new RingNode("1", 100, 0), new RingNode("2", 100, 1), new RingNode("3", 100, 2)));
        for (int i = 0; i < keys; i++) {
            String key = i + ":shared:two";
            assertHeldOnlyBy(key, redisRing.serverFor(bytes(key)), three);
            int owner = memcachedRing.serverFor(bytes(key));
            for (int s = 0; s < memcached.size(); s++) {
                try (RawClient direct = new RawClient(memcached.get(s).port())) {
                    String got = direct.call("get " + key + "\r\n", "END\r\n");
                    assertEquals(s == owner, got.startsWith("VALUE " + key + " 0 9\r\nmemcached"), key + " on memcached " + (s + 1) + ": " + got);
                }
            }
        }
    }

    /** [memcached] over the first {@code memcachedServers} memcached servers on the [kvproxy] port, [redis] over {@code redis}. */
    private String mixed(int redisPort, List<Member> redis, int memcachedServers) {
        return "[memcached]\nextension = memcached.jar\nhosts = cache\n\n"
                + "[redis]\nextension = redis.jar\nlisten = 127.0.0.1:" + redisPort + "\nhosts = master\nhash = fnv1a_64\n\n"
                + KvproxyProcess.cluster("cache", memcached.subList(0, memcachedServers)) + "\n" + cluster("master", redis);
    }

    /** The same key names through both pools, each with its own value; then a refused command on Redis. */
    private static void traffic(RawClient mc, Jedis redis, int keys, String round) throws Exception {
        for (int i = 0; i < keys; i++) {
            String key = i + ":shared:" + round;
            assertEquals("STORED\r\n", mc.call("set " + key + " 0 0 9\r\nmemcached\r\n", "\r\n"));
            assertEquals("OK", redis.set(key, "redis"));
        }
        for (int i = 0; i < keys; i++) {
            String key = i + ":shared:" + round;
            assertEquals("VALUE " + key + " 0 9\r\nmemcached\r\nEND\r\n", mc.call("get " + key + "\r\n", "END\r\n"));
            assertEquals("redis", redis.get(key));
        }
        assertThrows(JedisDataException.class, () -> redis.keys("*"));
    }

    /** After {@code rounds} of {@link #traffic}: each pool counts its own requests and protocol counters only. */
    private static void assertPoolCounters(int statsPort, int keys, int rounds) throws Exception {
        Map<String, Object> stats = StatsJson.read(statsPort);
        Map<String, Object> memcachedPool = pool(stats, "memcached");
        Map<String, Object> redisPool = pool(stats, "redis");
        assertEquals((long) rounds * 2 * keys, memcachedPool.get("kvproxy_requests"), memcachedPool.toString());
        assertEquals((long) rounds * keys, memcachedPool.get("kvproxy_cmd_set"), memcachedPool.toString());
        assertEquals((long) rounds * keys, memcachedPool.get("kvproxy_get_hits"), memcachedPool.toString());
        assertFalse(memcachedPool.containsKey("kvproxy_redis_unsupported_commands"), memcachedPool.toString());
        assertEquals((long) rounds * (2 * keys + 1), redisPool.get("kvproxy_requests"), redisPool.toString());
        assertEquals((long) rounds, redisPool.get("kvproxy_redis_unsupported_commands"), redisPool.toString());
        assertFalse(redisPool.containsKey("kvproxy_cmd_set"), redisPool.toString());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
