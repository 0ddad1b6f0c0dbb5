package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stats port ({@code stats_port}) writes what a real nutcracker (twemproxy 0.5.0) writes on its own,
 * for the same pool over the same servers: every field name at every level (the process, the pool, each
 * server), plus kvproxy's own, all prefixed {@code kvproxy_}. And the counts follow the traffic and the
 * failures: requests and bytes each way, connections, a dead server's errors and its ejection.
 */
class StatsPortIT {

    /** Pool and server names alike in both proxies: nutcracker's server names are kvproxy's ids. */
    static final String POOL = "memcached";
    static final String[] NAMES = {"alpha", "beta"};

    @TempDir
    Path dir;
    final List<MemcachedServer> servers = new ArrayList<>();
    NutcrackerProcess nutcracker;
    KvproxyProcess kvproxy;
    int statsPort;

    @AfterEach
    void stop() throws InterruptedException {
        if (nutcracker != null) {
            nutcracker.close();
            assertFalse(nutcracker.isAlive(), "nutcracker " + nutcracker.pid() + " still running");
        }
        KvproxyProcess.stopAll(kvproxy, servers);
    }

    @Test
    @Timeout(120)
    void everyNutcrackerFieldAtEveryLevelWithTheCountsOfTheTraffic() throws Exception {
        startBoth("");
        try (RawClient client = new RawClient(nutcracker.port())) {
            assertEquals("STORED\r\n", client.call("set k 0 0 1\r\nv\r\n", "\r\n"));
        }
        Map<String, Object> twemproxy = StatsJson.read(nutcracker.statsPort());
        Map<String, Object> ours;
        try (RawClient client = new RawClient(kvproxy.port())) {
            for (String name : NAMES) {
                assertEquals("STORED\r\n", client.call("set " + name + " 0 0 5\r\nvalue\r\n", "\r\n"));
                assertEquals("VALUE " + name + " 0 5\r\nvalue\r\nEND\r\n", client.call("get " + name + "\r\n", "END\r\n"));
            }
            // Keys enough to reach both servers: one fragment for each.
            client.call("get " + String.join(" ", manyKeys()) + "\r\n", "END\r\n");
            ours = StatsJson.read(statsPort);
            assertEquals(1L, pool(ours).get("client_connections"), "one client connected now: " + ours);
        }

        assertSameFields("the process", scalars(twemproxy), scalars(ours));
        assertSameFields("pool " + POOL, scalars(pool(twemproxy)), scalars(pool(ours)));
        assertEquals(Set.of(NAMES), objects(pool(twemproxy)), "nutcracker's servers");
        assertEquals(Set.of(NAMES), objects(pool(ours)), "kvproxy's servers, by id");
        for (String name : NAMES) {
            assertSameFields("server " + name, scalars(server(twemproxy, name)), scalars(server(ours, name)));
        }

        // The memcached extension samples each server's stats over the same connections, so the counts
        // hold more than this test's requests: at least these, and at rest every request answered.
        assertTrue(Await.until(Duration.ofSeconds(10), () -> atRest(report())), "at rest: " + report());
        Map<String, Object> settled = report();
        long requests = 0;
        long requestBytes = 0;
        long responseBytes = 0;
        for (String name : NAMES) {
            Map<String, Object> server = server(settled, name);
            requests += (Long) server.get("requests");
            requestBytes += (Long) server.get("request_bytes");
            responseBytes += (Long) server.get("response_bytes");
            assertTrue((Long) server.get("server_connections") > 0, "connected: " + server);
            assertEquals(0L, server.get("server_ejected_at"), "never ejected: " + server);
            assertEquals(0L, (Long) server.get("server_err") + (Long) server.get("server_eof") + (Long) server.get("server_timedout"),
                    "no failure: " + server);
        }
        long sent = 0;
        long answered = 0;
        for (String name : NAMES) {
            sent += ("set " + name + " 0 0 5\r\nvalue\r\n").length() + ("get " + name + "\r\n").length();
            answered += "STORED\r\n".length() + ("VALUE " + name + " 0 5\r\nvalue\r\nEND\r\n").length();
        }
        assertTrue(requests >= 4, "a set and a get for each name, wherever the ring put them: " + settled);
        assertTrue(requestBytes >= sent, "the bytes sent to the servers, " + sent + " at least: " + settled);
        assertTrue(responseBytes >= answered, "the bytes the servers answered, " + answered + " at least: " + settled);
        assertEquals(2L, pool(ours).get("fragments"), "the multi-get split over both servers: " + ours);
        assertEquals("kvproxy", ours.get("service"));
        assertEquals(1L, pool(ours).get("kvproxy_config_generation"));
        Await.until(Duration.ofSeconds(10), () -> poolField("client_connections") == 0);
        assertEquals(0L, pool(StatsJson.read(statsPort)).get("client_connections"), "the client left");
    }

    @Test
    @Timeout(120)
    void aDeadServerIsCountedAndEjected() throws Exception {
        startBoth("failover_threshold = 2\nfailover_interval = 1\n");
        MemcachedServer dead = servers.get(1);
        dead.close();
        assertFalse(dead.isAlive());
        try (RawClient client = new RawClient(kvproxy.port())) {
            // Keys enough that some go to the dead server before it is ejected.
            for (int i = 0; i < 20; i++) {
                client.call("get key" + i + "\r\n", "\r\n");
            }
        }
        assertTrue(Await.until(Duration.ofSeconds(20), () -> poolField("server_ejects") >= 1),
                "ejected: " + StatsJson.read(statsPort));
        Map<String, Object> ours = StatsJson.read(statsPort);
        Map<String, Object> server = server(ours, NAMES[1]);
        assertTrue((Long) server.get("server_ejected_at") > 0, "ejected at: " + server);
        assertTrue((Long) server.get("server_eof") + (Long) server.get("server_err") > 0, "the lost connections: " + server);
        assertEquals(0L, server.get("server_connections"), "none connected: " + server);
        assertEquals(0L, server.get("kvproxy_online"), "out of the ring: " + server);
        assertTrue((Long) server(ours, NAMES[0]).get("server_connections") > 0, "the live one stays connected: " + ours);
    }

    @Test
    @Timeout(120)
    void aServerThatStaysKeepsItsCountsAcrossAReloadAndOneAddedStartsAfresh() throws Exception {
        MemcachedServer first = MemcachedServer.start();
        servers.add(first);
        int port = MemcachedServer.freePort();
        statsPort = MemcachedServer.freePort();
        String kvproxyExtra = "stats_port = " + statsPort + "\nrecv_timeout = 2000";
        String pool = "[" + POOL + "]\nextension = memcached.jar\nhosts = master\n\n[master]\n" + first.address() + " = \"alpha:100\"\n";
        kvproxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, kvproxyExtra, pool));
        try (RawClient client = new RawClient(port)) {
            for (int i = 0; i < 100; i++) {
                assertEquals("STORED\r\n", client.call("set before" + i + " 0 0 1\r\nx\r\n", "\r\n"));
            }
        }
        long before = (Long) server(report(), "alpha").get("requests");
        assertTrue(before >= 100, "the sets: " + report());

        MemcachedServer second = MemcachedServer.start();
        servers.add(second);
        Files.writeString(dir.resolve("kvproxy.ini"), KvproxyProcess.config(port, dir, kvproxyExtra,
                pool + second.address() + " = \"beta:100\"\n"));
        Signals.send("HUP", kvproxy.pid());
        assertTrue(Await.until(Duration.ofSeconds(20), () -> (Long) pool(report()).get("kvproxy_config_generation") == 2),
                "reloaded: " + report() + "\n" + kvproxy.log());

        Map<String, Object> after = report();
        assertEquals(Set.of("alpha", "beta"), objects(pool(after)), "the servers after the reload: " + after);
        assertTrue((Long) server(after, "alpha").get("requests") >= before, "alpha's counts kept: " + before + " before, " + after);
        assertTrue((Long) server(after, "beta").get("requests") < 100, "beta's start from nothing: " + after);
        assertTrue((Long) server(after, "beta").get("server_connections") > 0, "beta connected: " + after);
    }

    /** Two memcached servers, nutcracker over them with its stats port, kvproxy over them with stats_port. */
    private void startBoth(String kvproxyExtra) throws Exception {
        StringBuilder yaml = new StringBuilder(POOL + ":\n  listen: 127.0.0.1:%d\n  preconnect: true\n  servers:\n");
        StringBuilder cluster = new StringBuilder("[master]\n");
        for (String name : NAMES) {
            MemcachedServer server = MemcachedServer.start();
            servers.add(server);
            yaml.append("   - ").append(server.address()).append(":1 ").append(name).append('\n');
            cluster.append(server.address()).append(" = \"").append(name).append(":100\"\n");
        }
        nutcracker = NutcrackerProcess.start(dir, port -> String.format(yaml.toString(), port));
        int port = MemcachedServer.freePort();
        statsPort = MemcachedServer.freePort();
        kvproxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir,
                "stats_port = " + statsPort + "\nrecv_timeout = 2000\n" + kvproxyExtra,
                "[" + POOL + "]\nextension = memcached.jar\nhosts = master\n\n" + cluster));
    }

    private static List<String> manyKeys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            keys.add("multi" + i);
        }
        return keys;
    }

    /** kvproxy's report now. */
    private Map<String, Object> report() {
        try {
            return StatsJson.read(statsPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every server's requests answered and nothing queued. */
    private static boolean atRest(Map<String, Object> report) {
        for (String name : NAMES) {
            Map<String, Object> server = server(report, name);
            if (!server.get("requests").equals(server.get("responses")) || (Long) server.get("out_queue") != 0
                    || (Long) server.get("in_queue") != 0 || (Long) server.get("in_queue_bytes") != 0
                    || (Long) server.get("out_queue_bytes") != 0) {
                return false;
            }
        }
        return true;
    }

    /** One field of the pool in kvproxy's report now. */
    private long poolField(String field) {
        return (Long) pool(report()).get(field);
    }

    /** Nutcracker's fields must all be there; kvproxy's own may be added, each prefixed. */
    private static void assertSameFields(String level, Set<String> nutcracker, Set<String> kvproxy) {
        Set<String> missing = new TreeSet<>(nutcracker);
        missing.removeAll(kvproxy);
        assertEquals(Set.of(), missing, level + ": nutcracker's fields that kvproxy lacks (kvproxy's: " + kvproxy + ")");
        for (String field : kvproxy) {
            assertTrue(nutcracker.contains(field) || field.startsWith("kvproxy_"), level + ": field " + field + " is neither"
                    + " nutcracker's nor prefixed kvproxy_");
        }
    }

    private static Set<String> scalars(Map<String, Object> object) {
        Set<String> names = new TreeSet<>();
        object.forEach((name, value) -> {
            if (!(value instanceof Map)) {
                names.add(name);
            }
        });
        return names;
    }

    private static Set<String> objects(Map<String, Object> object) {
        Set<String> names = new TreeSet<>();
        object.forEach((name, value) -> {
            if (value instanceof Map) {
                names.add(name);
            }
        });
        return names;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> pool(Map<String, Object> report) {
        return (Map<String, Object>) assertInstanceOf(Map.class, report.get(POOL), "pool " + POOL + " in " + report);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> server(Map<String, Object> report, String name) {
        return (Map<String, Object>) assertInstanceOf(Map.class, pool(report).get(name), "server " + name + " in " + report);
    }
}
