package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.HashTag;
import io.kvproxy.route.Ring;
import io.kvproxy.route.RingNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kvproxy places every key on the server a real nutcracker (twemproxy 0.5.0) places it on, when both
 * are configured alike: the same server names (kvproxy ids), weights, hash, distribution and hash_tag.
 * For each combination, both proxies run over the same three memcached servers: keys written through
 * nutcracker are all read back through kvproxy (single gets and multi-gets), keys written through
 * kvproxy are all read back through nutcracker, and each key is on exactly one server, the one
 * kvproxy's ring predicts. {@code random} is left out (it places nothing), and so is
 * {@code distribution=kvproxy}, which twemproxy does not have.
 */
class TwemproxyPlacementIT {

    static final int KEYS = 300;
    static final int MULTI_GET_KEYS = 25;
    static final String[] NAMES = {"alpha", "beta", "gamma"};
    /**
     * A slow moment on a busy machine must not get a server ejected by kvproxy mid-test, which would move
     * its keys (nutcracker, without auto_eject_hosts, never ejects).
     */
    static final String PATIENT = "recv_timeout = 5000";

    static final List<MemcachedServer> servers = new ArrayList<>();

    @TempDir
    Path dir;
    NutcrackerProcess nutcracker;
    KvproxyProcess kvproxy;

    /**
     * One configuration of both proxies.
     *
     * @param hashTag null for none
     * @param keys key number → key (one form per direction, so the two directions never share a key)
     * @param emptyServer a server that must hold no key (its weight earns it no ketama point), or -1
     */
    record Combination(String hash, String distribution, String hashTag, int[] weights, IntFunction<String> keys, int emptyServer) {

        /** kvproxy's ring for it, over {@link #NAMES}. */
        Ring ring() {
            return Ring.build(Distribution.byConfigName(distribution).orElseThrow(), HashFunction.byConfigName(hash).orElseThrow(),
                    hashTag == null ? null : HashTag.parse(hashTag).orElseThrow(), ringNodes(weights));
        }

        @Override
        public String toString() {
            return hash + "/" + distribution + "/weights " + Arrays.toString(weights) + (hashTag == null ? "" : "/hash_tag " + hashTag);
        }
    }

    /** Keys unlike each other, so that hashes which cluster similar short keys still spread them. */
    static String plainKey(int i) {
        return "k" + Integer.toHexString(i * 0x9E3779B1) + ":" + i;
    }

    static Stream<Combination> combinations() {
        return Stream.of(
                new Combination("md5", "ketama", null, new int[] {1, 1, 1}, TwemproxyPlacementIT::plainKey, -1),
                new Combination("fnv1a_64", "ketama", null, new int[] {1, 2, 3}, TwemproxyPlacementIT::plainKey, -1),
                new Combination("murmur", "ketama", "{}", new int[] {1, 1, 1}, i -> "user:{" + i + "}:x", -1),
                new Combination("crc32a", "modula", null, new int[] {1, 2, 1}, TwemproxyPlacementIT::plainKey, -1),
                new Combination("one_at_a_time", "ketama", null, new int[] {100, 37, 1}, TwemproxyPlacementIT::plainKey, 2),
                new Combination("hsieh", "modula", null, new int[] {1, 1, 1}, TwemproxyPlacementIT::plainKey, -1),
                new Combination("jenkins", "modula", null, new int[] {1, 1, 1}, TwemproxyPlacementIT::plainKey, -1),
                new Combination("crc16", "ketama", null, new int[] {3, 1, 2}, TwemproxyPlacementIT::plainKey, -1),
                new Combination("crc32", "modula", null, new int[] {1, 1, 1}, TwemproxyPlacementIT::plainKey, -1),
                new Combination("fnv1_64", "ketama", "$$", new int[] {1, 1, 1}, i -> "item$" + (i % 150) + "$" + i, -1),
                new Combination("fnv1_32", "modula", "{}", new int[] {2, 1, 1}, i -> "{s" + i + "}:" + plainKey(i), -1),
                new Combination("fnv1a_32", "ketama", null, new int[] {1, 1, 1}, TwemproxyPlacementIT::plainKey, -1));
    }

    @BeforeAll
    static void startServers() throws Exception {
        for (int i = 0; i < 3; i++) {
            servers.add(MemcachedServer.start());
        }
    }

    @AfterAll
    static void stopServers() {
        for (MemcachedServer server : servers) {
            server.close();
            assertFalse(server.isAlive(), "memcached " + server.address() + " still running");
        }
        servers.clear();
    }

    @BeforeEach
    void emptyServers() throws IOException {
        for (MemcachedServer server : servers) {
            try (RawClient direct = new RawClient(server.port())) {
                assertEquals("OK\r\n", direct.call("flush_all\r\n", "\r\n"));
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
    void kvproxyAndNutcrackerPlaceEveryKeyOnTheSameServer(Combination combination) throws Exception {
        nutcracker = NutcrackerProcess.start(dir, port -> nutcrackerYaml(port, combination));
        int port = MemcachedServer.freePort();
        kvproxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, PATIENT, kvproxySections(combination)));

        assertSamePlacement(combination.keys(), combination.ring(), combination.emptyServer());
    }

    /**
     * A nutcracker YAML with unnamed servers and twemproxy's default hash and distribution, translated by
     * {@code kvproxy --import-twemproxy}: the INI it prints passes {@code kvproxy -t}, and kvproxy started
     * with it places keys as that nutcracker does (servers named by address, fnv1a_64, ketama).
     */
    @Test
    @Timeout(120)
    void theImportedConfigPlacesKeysAsTheNutcrackerItCameFrom() throws Exception {
        int[] weights = {1, 1, 2};
        nutcracker = NutcrackerProcess.start(dir, port -> nutcrackerDefaultsYaml(port, weights));
        KvproxyProcess.SplitResult imported = KvproxyProcess.runSplit("--import-twemproxy", dir.resolve("nutcracker.yml").toString());
        assertEquals(0, imported.exitCode(), imported.stderr());
        assertTrue(imported.stderr().contains("[pool] timeout: 0 (wait forever)"), imported.stderr());
        assertTrue(imported.stdout().contains("\nhash = fnv1a_64\n"), imported.stdout());
        for (int s = 0; s < 3; s++) {
            String address = servers.get(s).address();
            assertTrue(imported.stdout().contains(address + " = \"" + address + ":" + weights[s] + "\"\n"), imported.stdout());
        }

        // The import keeps nutcracker's port; this kvproxy runs next to it, on another.
        int port = MemcachedServer.freePort();
        String ini = imported.stdout().replace("port = " + nutcracker.port() + "\n",
                "port = " + port + "\nlog_path = " + dir.resolve("kvproxy.log") + "\nlog_level = info\n" + PATIENT + "\n");
        Path iniFile = dir.resolve("imported.ini");
        Files.writeString(iniFile, ini);
        KvproxyProcess.Result check = KvproxyProcess.run("-t", "-c", iniFile.toString());
        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().contains("syntax is ok"), check.output());

        kvproxy = KvproxyProcess.start(dir, port, ini);
        List<RingNode> nodes = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            nodes.add(new RingNode(servers.get(s).address(), weights[s], s));
        }
        Ring ring = Ring.build(Distribution.KETAMA, HashFunction.FNV1A_64, null, nodes);
        assertSamePlacement(TwemproxyPlacementIT::plainKey, ring, -1);
    }

    /** Writes through each proxy, reads through the other, and checks where every key is on the servers. */
    private void assertSamePlacement(IntFunction<String> keys, Ring ring, int emptyServer) throws IOException {
        List<String> forward = new ArrayList<>();
        List<String> reverse = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            forward.add("f." + keys.apply(i));
            reverse.add("r." + keys.apply(i));
        }
        writeAll(nutcracker.port(), forward);
        assertAllReadable("written through nutcracker, read through kvproxy", kvproxy.port(), forward);
        writeAll(kvproxy.port(), reverse);
        assertAllReadable("written through kvproxy, read through nutcracker", nutcracker.port(), reverse);

        List<String> all = new ArrayList<>(forward);
        all.addAll(reverse);
        List<Set<String>> held = new ArrayList<>();
        for (MemcachedServer server : servers) {
            held.add(keysHeldBy(server, all));
        }
        List<String> misplaced = new ArrayList<>();
        int[] perServer = new int[servers.size()];
        for (String key : all) {
            List<Integer> holders = new ArrayList<>();
            for (int s = 0; s < servers.size(); s++) {
                if (held.get(s).contains(key)) {
                    holders.add(s);
                    perServer[s]++;
                }
            }
            int predicted = ring.serverFor(key.getBytes(StandardCharsets.US_ASCII));
            if (!holders.equals(List.of(predicted))) {
                misplaced.add(key + " on " + holders + ", ring says " + predicted);
            }
        }
        assertEquals(List.of(), misplaced.subList(0, Math.min(10, misplaced.size())), misplaced.size() + " keys misplaced");
        assertTrue(Arrays.stream(perServer).filter(count -> count > 0).count() >= 2,
                "the keys should spread over several servers: " + Arrays.toString(perServer));
        if (emptyServer >= 0) {
            assertEquals(0, perServer[emptyServer], "a server with no ketama point holds keys: " + Arrays.toString(perServer));
        }
    }

    /** Pipelined sets, one write; every one must be STORED. */
    private static void writeAll(int port, List<String> keys) throws IOException {
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < keys.size(); i++) {
            String value = value(keys.get(i));
            batch.append("set ").append(keys.get(i)).append(' ').append(i).append(" 0 ").append(value.length())
                    .append("\r\n").append(value).append("\r\n");
        }
        try (RawClient client = new RawClient(port)) {
            client.send(batch.toString());
            assertEquals("STORED\r\n".repeat(keys.size()), client.readExactly("STORED\r\n".length() * keys.size()));
        }
    }

    /** Every key by a get of its own, then all of them again in multi-gets of {@link #MULTI_GET_KEYS}. */
    private static void assertAllReadable(String how, int port, List<String> keys) throws IOException {
        List<String> missing = new ArrayList<>();
        try (RawClient client = new RawClient(port)) {
            for (int i = 0; i < keys.size(); i++) {
                String reply = client.call("get " + keys.get(i) + "\r\n", "END\r\n");
                if (!reply.equals(valueReply(keys.get(i), i) + "END\r\n")) {
                    missing.add(keys.get(i) + " -> " + reply.strip());
                }
            }
            assertEquals(List.of(), missing.subList(0, Math.min(10, missing.size())),
                    missing.size() + " of " + keys.size() + " keys " + how + " were not found (single gets)");
            for (int from = 0; from < keys.size(); from += MULTI_GET_KEYS) {
                StringBuilder request = new StringBuilder("get");
                StringBuilder expected = new StringBuilder();
                for (int i = from; i < Math.min(keys.size(), from + MULTI_GET_KEYS); i++) {
                    request.append(' ').append(keys.get(i));
                    expected.append(valueReply(keys.get(i), i));
                }
                assertEquals(expected + "END\r\n", client.call(request + "\r\n", "END\r\n"), how + " (multi-get from key " + from + ")");
            }
        }
    }

    /** The keys of {@code keys} that {@code server} holds, asked directly in multi-gets. */
    private static Set<String> keysHeldBy(MemcachedServer server, List<String> keys) throws IOException {
        Set<String> held = new HashSet<>();
        try (RawClient direct = new RawClient(server.port())) {
            for (int from = 0; from < keys.size(); from += 50) {
                String reply = direct.call("get " + String.join(" ", keys.subList(from, Math.min(keys.size(), from + 50))) + "\r\n", "END\r\n");
                for (String line : reply.split("\r\n")) {
                    if (line.startsWith("VALUE ")) {
                        held.add(line.split(" ")[1]);
                    }
                }
            }
        }
        return held;
    }

    private static String value(String key) {
        return "value of " + key;
    }

    private static String valueReply(String key, int flags) {
        String value = value(key);
        return "VALUE " + key + " " + flags + " " + value.length() + "\r\n" + value + "\r\n";
    }

    static List<RingNode> ringNodes(int[] weights) {
        List<RingNode> nodes = new ArrayList<>();
        for (int s = 0; s < weights.length; s++) {
            nodes.add(new RingNode(NAMES[s], weights[s], s));
        }
        return nodes;
    }

    private static String nutcrackerYaml(int port, Combination combination) {
        return nutcrackerYaml(port, combination, addresses(), false);
    }

    /** nutcracker's pool for {@code combination} over {@code addresses}, named {@link #NAMES}; a Redis pool if {@code redis}. */
    static String nutcrackerYaml(int port, Combination combination, List<String> addresses, boolean redis) {
        StringBuilder yaml = new StringBuilder("pool:\n")
                .append("  listen: 127.0.0.1:").append(port).append('\n')
                .append(redis ? "  redis: true\n" : "")
                .append("  hash: ").append(combination.hash()).append('\n')
                .append("  distribution: ").append(combination.distribution()).append('\n');
        if (combination.hashTag() != null) {
            yaml.append("  hash_tag: \"").append(combination.hashTag()).append("\"\n");
        }
        yaml.append("  preconnect: true\n  servers:\n");
        for (int s = 0; s < addresses.size(); s++) {
            yaml.append("   - ").append(addresses.get(s)).append(':').append(combination.weights()[s])
                    .append(' ').append(NAMES[s]).append('\n');
        }
        return yaml.toString();
    }

    private static List<String> addresses() {
        List<String> addresses = new ArrayList<>();
        for (MemcachedServer server : servers) {
            addresses.add(server.address());
        }
        return addresses;
    }

    /** No hash, no distribution, no names: twemproxy's defaults; and directives the import has to note. */
    private static String nutcrackerDefaultsYaml(int port, int[] weights) {
        StringBuilder yaml = new StringBuilder("# written by TwemproxyPlacementIT\npool:\n")
                .append("  listen: 127.0.0.1:").append(port).append('\n')
                .append("  timeout: 0\n  auto_eject_hosts: false\n  preconnect: true\n  servers:\n");
        for (int s = 0; s < servers.size(); s++) {
            yaml.append("   - ").append(servers.get(s).address()).append(':').append(weights[s]).append('\n');
        }
        return yaml.toString();
    }

    private static String kvproxySections(Combination combination) {
        return kvproxySections(combination, addresses(), "memcached");
    }

    /** kvproxy's pool for {@code combination} over {@code addresses}, section {@code [protocol]} of {@code protocol.jar}. */
    static String kvproxySections(Combination combination, List<String> addresses, String protocol) {
        StringBuilder ini = new StringBuilder("[" + protocol + "]\nextension = " + protocol + ".jar\nhosts = pool\n")
                .append("hash = ").append(combination.hash()).append('\n')
                .append("distribution = ").append(combination.distribution()).append('\n');
        if (combination.hashTag() != null) {
            ini.append("hash_tag = \"").append(combination.hashTag()).append("\"\n");
        }
        ini.append("[pool]\n");
        for (int s = 0; s < addresses.size(); s++) {
            ini.append(addresses.get(s)).append(" = \"").append(NAMES[s]).append(':').append(combination.weights()[s]).append("\"\n");
        }
        return ini.toString();
    }
}
