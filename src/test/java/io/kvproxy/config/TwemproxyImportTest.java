package io.kvproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.TwemproxyImport.Note;
import io.kvproxy.config.TwemproxyImport.PoolTranslation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kvproxy --import-twemproxy}: every directive, every note and refusal, every problem that makes
 * twemproxy refuse a file, and every translation loaded back by {@link ConfigLoader} as {@code kvproxy -t}
 * would.
 */
@Timeout(10)
class TwemproxyImportTest {

    private static final Path SOURCE = Path.of("nutcracker.yml");

    @TempDir
    Path dir;

    private static String yaml(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    /** A pool with the given directives (lines 2..) and one server, listening on 127.0.0.1:22121. */
    private static String pool(String... directives) {
        StringBuilder text = new StringBuilder("alpha:\n  listen: 127.0.0.1:22121\n");
        for (String directive : directives) {
            text.append("  ").append(directive).append('\n');
        }
        return text.append("  servers:\n   - 127.0.0.1:11211:1\n").toString();
    }

    private static PoolTranslation only(String yaml) throws ConfigException {
        List<PoolTranslation> pools = TwemproxyImport.translate(yaml, SOURCE);
        assertEquals(1, pools.size());
        return pools.get(0);
    }

    private static String ini(String yaml) throws ConfigException {
        PoolTranslation pool = only(yaml);
        assertTrue(pool.ini().isPresent(), () -> "not translated: " + pool.notes());
        return pool.ini().get();
    }

    private static List<String> messages(PoolTranslation pool) {
        return pool.notes().stream().map(note -> note.format(SOURCE)).toList();
    }

    /** Writes the INI and loads it as {@code kvproxy -t} does (which fails the test on any problem). */
    private ProxyConfig load(String ini) throws Exception {
        Path file = dir.resolve("imported.ini");
        Files.writeString(file, ini);
        return ConfigLoader.load(file, dir, MemcachedKeysCheck.INSTANCE);
    }

    private static void assertProblems(String yaml, String... expected) {
        ConfigException refused = assertThrows(ConfigException.class, () -> TwemproxyImport.translate(yaml, SOURCE));
        assertEquals(Arrays.stream(expected).map(problem -> SOURCE + problem).toList(), refused.problems());
    }

    @Test
    void aPlainPoolBecomesAnIniWithTwemproxysNamesAsIds() throws Exception {
        String text = ini(yaml(
                "alpha:",
                "  listen: 0.0.0.0:22121",
                "  hash: md5",
                "  distribution: ketama",
                "  auto_eject_hosts: true",
                "  servers:",
                "   - 10.0.0.1:11211:1",
                "   - 10.0.0.2:11212:2",
                "   - cache3.example.com:11211:3 three"));
        assertEquals("""
                ; kvproxy configuration for the twemproxy pool "alpha" (nutcracker.yml, line 1),
                ; written by kvproxy --import-twemproxy. Check it with: kvproxy -t -c FILE
                ;
                ; The servers keep their twemproxy names as ids, and hash, distribution, hash_tag and
                ; weights are the pool's: kvproxy places every key on the server nutcracker placed it on.

                [kvproxy]
                bind = 0.0.0.0
                port = 22121

                [memcached]
                extension = memcached.jar
                hosts = alpha
                hash = md5
                distribution = ketama

                ; host:port = "twemproxy name:weight"
                [alpha]
                10.0.0.1:11211 = "10.0.0.1:1"
                10.0.0.2:11212 = "10.0.0.2:11212:2"
                cache3.example.com:11211 = "three:3"
                """, text);
        ProxyConfig config = load(text);
        assertEquals(22121, config.proxy().port());
        assertEquals("0.0.0.0", config.proxy().bind());
        assertEquals("md5", config.pools().get(0).hash());
        assertEquals("ketama", config.pools().get(0).distribution());
        assertEquals(Optional.empty(), config.pools().get(0).hashTag());
        List<ServerSpec> servers = config.pools().get(0).hosts().servers();
        assertEquals(List.of("10.0.0.1:11211", "10.0.0.2:11212", "cache3.example.com:11211"),
                servers.stream().map(ServerSpec::address).toList());
        assertEquals(List.of("10.0.0.1", "10.0.0.2:11212", "three"), servers.stream().map(ServerSpec::id).toList());
        assertEquals(List.of(1, 2, 3), servers.stream().map(ServerSpec::weight).toList());
    }

    @Test
    void twemproxysDefaultHashIsWrittenOutBecauseKvproxysDiffers() throws Exception {
        String text = ini(pool());
        assertTrue(text.contains("; twemproxy's default hash (kvproxy's own default is md5)\nhash = fnv1a_64\n"), text);
        assertTrue(text.contains("distribution = ketama\n"), text);
        ProxyConfig config = load(text);
        assertEquals("fnv1a_64", config.pools().get(0).hash());
        assertEquals("ketama", config.pools().get(0).distribution());
    }

    @Test
    void everyHashAndDistributionIsKeptAsNamed() throws Exception {
        for (String hash : TwemproxyImport.HASHES) {
            for (String distribution : TwemproxyImport.DISTRIBUTIONS) {
                ProxyConfig config = load(ini(pool("hash: " + hash, "distribution: " + distribution)));
                assertEquals(hash, config.pools().get(0).hash());
                assertEquals(distribution, config.pools().get(0).distribution());
            }
        }
    }

    @Test
    void hashTagIsKeptQuoted() throws Exception {
        for (String tag : List.of("{}", "$$", "::", "\"'", "()")) {
            String quoted = tag.contains("\"") ? "'" + tag.replace("'", "''") + "'" : "\"" + tag + "\"";
            String text = ini(pool("hash_tag: " + quoted));
            assertTrue(text.contains("hash_tag = \"" + tag + "\"\n"), text);
            assertEquals(Optional.of(tag), load(text).pools().get(0).hashTag());
        }
    }

    @Test
    void aHashTagKvproxyCannotHoldRefusesThePoolSincePlacementWouldChange() throws Exception {
        PoolTranslation pool = only(pool("hash_tag: \"\u00e9\""));
        assertEquals(Optional.empty(), pool.ini());
        assertEquals(List.of("nutcracker.yml:3: [alpha] hash_tag: \"\u00e9\": kvproxy takes two printable ASCII "
                + "characters, so keys holding these would be placed differently"), messages(pool));
        assertEquals(Optional.empty(), only(pool("hash_tag: \"{ \"")).ini());
    }

    @Test
    void timeoutBecomesRecvTimeoutAndWaitingForeverIsNamed() throws Exception {
        assertEquals(400, load(ini(pool("timeout: 400"))).proxy().recvTimeoutMillis());
        for (String forever : List.of("0", "-1")) {
            PoolTranslation pool = only(pool("timeout: " + forever, "auto_eject_hosts: true"));
            assertEquals(List.of("nutcracker.yml:3: [alpha] timeout: " + forever + " (wait forever): kvproxy always gives "
                    + "up on a backend at some point; recv_timeout keeps its default, 100 ms"), messages(pool));
            assertEquals(100, load(pool.ini().orElseThrow()).proxy().recvTimeoutMillis());
        }
    }

    @Test
    void backlogIsKeptAndZeroIsNamed() throws Exception {
        assertEquals(512, load(ini(pool("backlog: 512"))).proxy().backlog());
        PoolTranslation zero = only(pool("backlog: 0", "auto_eject_hosts: true"));
        assertEquals(List.of("nutcracker.yml:3: [alpha] backlog: 0: kvproxy needs at least 1; backlog keeps its default, 1024"),
                messages(zero));
        assertEquals(1024, load(zero.ini().orElseThrow()).proxy().backlog());
    }

    @Test
    void failureLimitAndRetryTimeoutBecomeFailoverThresholdAndInterval() throws Exception {
        PoolTranslation exact = only(pool("auto_eject_hosts: true", "server_failure_limit: 3", "server_retry_timeout: 30000"));
        assertEquals(List.of(), exact.notes());
        ProxyConfig config = load(exact.ini().orElseThrow());
        assertEquals(3, config.proxy().failoverThreshold());
        assertEquals(30, config.proxy().failoverIntervalSeconds());

        PoolTranslation rounded = only(pool("auto_eject_hosts: true", "server_failure_limit: 0", "server_retry_timeout: 2500"));
        assertEquals(List.of("nutcracker.yml:5: [alpha] server_retry_timeout: 2500 ms: kvproxy counts failover_interval "
                + "in whole seconds; rounded up to 3 s"), messages(rounded));
        config = load(rounded.ini().orElseThrow());
        assertEquals(1, config.proxy().failoverThreshold()); // 0 ejects at the first failure, as 1 does
        assertEquals(3, config.proxy().failoverIntervalSeconds());

        PoolTranslation small = only(pool("auto_eject_hosts: true", "server_retry_timeout: 10"));
        assertEquals(1, load(small.ini().orElseThrow()).proxy().failoverIntervalSeconds());
        assertTrue(messages(small).get(0).endsWith("10 ms: kvproxy counts failover_interval in whole seconds; rounded up to 1 s"));
    }

    @Test
    void autoEjectHostsFalseOrMissingIsNamedSinceKvproxyAlwaysEjects() throws Exception {
        String ejects = "kvproxy has no such switch: a server that fails failover_threshold times in a row leaves the ring, "
                + "its keys move to the next servers, and it rejoins once it answers a health check";
        assertEquals(List.of("nutcracker.yml:3: [alpha] auto_eject_hosts: false: " + ejects),
                messages(only(pool("auto_eject_hosts: false"))));
        assertEquals(List.of("nutcracker.yml: [alpha] auto_eject_hosts: false (twemproxy's default): " + ejects),
                messages(only(pool())));
        assertEquals(List.of(), only(pool("auto_eject_hosts: true")).notes());
    }

    @Test
    void directivesKvproxyHasNoEquivalentForAreNamed() throws Exception {
        PoolTranslation pool = only(pool("auto_eject_hosts: true", "client_connections: 100", "preconnect: true",
                "server_connections: 4", "tcpkeepalive: true", "reuseport: true", "redis: false",
                "redis_auth: secret", "redis_db: 2", "dyn_seed_provider: simple"));
        assertEquals(List.of(
                "nutcracker.yml:4: [alpha] client_connections: twemproxy ignores it; kvproxy's limit is max_clients "
                        + "(default 10000), left at its default",
                "nutcracker.yml:5: [alpha] preconnect: kvproxy always connects to every server at start",
                "nutcracker.yml:6: [alpha] server_connections: kvproxy keeps one connection per worker thread "
                        + "(thread_count) to each server (two: text and binary); not translated",
                "nutcracker.yml:7: [alpha] tcpkeepalive: kvproxy sets TCP keepalive on its server connections, not on "
                        + "client connections; not translated",
                "nutcracker.yml:8: [alpha] reuseport: kvproxy runs thread_count worker threads in one process instead "
                        + "of several processes on one port; not translated",
                "nutcracker.yml:10: [alpha] redis_auth: for redis pools only; ignored",
                "nutcracker.yml:11: [alpha] redis_db: for redis pools only; ignored",
                "nutcracker.yml:12: [alpha] dyn_seed_provider: not a twemproxy 0.5 directive: not translated"),
                messages(pool));
        String text = pool.ini().orElseThrow();
        assertTrue(text.contains(";\n; Not translated, or different in kvproxy:\n;   line 4: client_connections: "), text);
        assertTrue(text.contains(";   line 12: dyn_seed_provider: not a twemproxy 0.5 directive: not translated\n"), text);
        load(text);
        // false values of tcpkeepalive and reuseport change nothing
        assertEquals(List.of(), only(pool("auto_eject_hosts: true", "tcpkeepalive: false", "reuseport: false")).notes());
    }

    @Test
    void aRedisPoolBecomesAPoolOfTheRedisExtensionWithItsAuthAndDatabase() throws Exception {
        PoolTranslation pool = only(pool("auto_eject_hosts: true", "redis: true", "redis_auth: s3cret", "redis_db: 1"));
        String text = pool.ini().orElseThrow();
        assertTrue(text.contains("\n[redis]\nextension = redis.jar\n"), text);
        assertTrue(text.contains("\nredis_auth = s3cret\nredis_db = 1\n"), text);
        assertEquals(List.of(), messages(pool));
    }

    @Test
    void aUnixSocketListenKeepsTheDefaultAddress() throws Exception {
        PoolTranslation pool = only(yaml("alpha:", "  listen: /var/run/nutcracker.sock 0666", "  auto_eject_hosts: true",
                "  servers:", "   - 127.0.0.1:11211:1"));
        assertEquals(List.of("nutcracker.yml:2: [alpha] listen: a unix socket: kvproxy listens on TCP only; bind and port "
                + "keep their defaults (127.0.0.1:55669)"), messages(pool));
        ProxyConfig config = load(pool.ini().orElseThrow());
        assertEquals(55669, config.proxy().port());
        assertEquals("127.0.0.1", config.proxy().bind());
    }

    @Test
    void listenHostsAreBindAddresses() throws Exception {
        assertEquals("::1", load(ini(yaml("a:", "  listen: \"[::1]:22121\"", "  servers:", "  - 127.0.0.1:11211:1"))).proxy().bind());
        assertEquals("localhost", load(ini(yaml("a:", "  listen: localhost:22121", "  servers:", "  - 127.0.0.1:11211:1"))).proxy().bind());
    }

    @Test
    void serversThatCannotKeepTheirPlacementRefuseThePool() throws Exception {
        String[][] cases = {
            {"/var/run/memcached.sock:1 mc", "a unix socket; kvproxy connects to servers over TCP only"},
            {"127.0.0.1:11212:1 cache@1", "the name \"cache@1\" cannot be a kvproxy id (letters, digits and _ . : - only), "
                    + "and keys are placed by name"},
            {"127.0.0.1:11212:20000", "weight 20000: kvproxy takes weights up to 10000"},
            {"bad_host!:11212:1", "\"bad_host!\" is not an address or host name kvproxy accepts"},
        };
        for (String[] refused : cases) {
            PoolTranslation pool = only(yaml("alpha:", "  listen: 127.0.0.1:22121", "  servers:", "   - 127.0.0.1:11211:1",
                    "   - " + refused[0]));
            assertEquals(Optional.empty(), pool.ini(), refused[0]);
            assertEquals(List.of("nutcracker.yml:5: [alpha] servers: " + refused[0] + ": " + refused[1]), messages(pool));
        }
        PoolTranslation twice = only(yaml("alpha:", "  listen: 127.0.0.1:22121", "  servers:", "   - 127.0.0.1:11211:1 a",
                "   - 127.0.0.1:11211:1 b"));
        assertEquals(List.of("nutcracker.yml:5: [alpha] servers: 127.0.0.1:11211:1 b: the same address as line 4; "
                + "kvproxy lists an address once per cluster"), messages(twice));
    }

    @Test
    void ipv6ServersAreBracketedAndNamedAsTwemproxyNamesThem() throws Exception {
        String text = ini(yaml("alpha:", "  listen: 127.0.0.1:22121", "  auto_eject_hosts: true", "  servers:",
                "   - ::1:11211:1", "   - ::1:11212:1", "   - fe80::2:11213:5 named"));
        assertTrue(text.contains("[::1]:11211 = \"::1:1\"\n[::1]:11212 = \"::1:11212:1\"\n[fe80::2]:11213 = \"named:5\"\n"), text);
        List<ServerSpec> servers = load(text).pools().get(0).hosts().servers();
        assertEquals(List.of("::1", "::1:11212", "named"), servers.stream().map(ServerSpec::id).toList());
        assertEquals(List.of("[::1]:11211", "[::1]:11212", "[fe80::2]:11213"), servers.stream().map(ServerSpec::address).toList());
    }

    @Test
    void twemproxyServerItemsAreReadFromTheRight() {
        assertEquals(new TwemproxyServer("127.0.0.1", 11211, 1, "127.0.0.1", false, null), TwemproxyServer.parse("127.0.0.1:11211:1"));
        assertEquals(new TwemproxyServer("127.0.0.1", 11212, 7, "127.0.0.1:11212", false, null), TwemproxyServer.parse("127.0.0.1:11212:7"));
        assertEquals(new TwemproxyServer("10.0.0.1", 11211, 2, "server1", false, null), TwemproxyServer.parse("10.0.0.1:11211:2 server1"));
        assertEquals(new TwemproxyServer("/tmp/mc.sock", 0, 1, "/tmp/mc.sock:", true, null), TwemproxyServer.parse("/tmp/mc.sock:1"));
        assertEquals(new TwemproxyServer("host", 11212, 1, "host:011212", false, null), TwemproxyServer.parse("host:011212:1"));
        assertEquals("expected a weight of 1 or more, got \"0\"", TwemproxyServer.parse("h:1:0").problem());
        assertEquals("expected a port in 1..65535, got \"70000\"", TwemproxyServer.parse("h:70000:1").problem());
        assertEquals("expected \"host:port:weight [name]\" or \"/path:weight [name]\", got \"h:1\"", TwemproxyServer.parse("h:1").problem());
    }

    @Test
    void poolNamesThatCannotBeClusterSectionsAreRenamed() throws Exception {
        assertTrue(ini(pool().replace("alpha:", "memcached:")).contains("hosts = pool_memcached\n"));
        assertTrue(ini(pool().replace("alpha:", "kvproxy:")).contains("\n[pool_kvproxy]\n"));
        String spaced = ini(pool().replace("alpha:", "\"my pool/1\":"));
        assertTrue(spaced.contains("hosts = my_pool_1\n") && spaced.contains("\n[my_pool_1]\n"), spaced);
        load(spaced);
    }

    @Test
    void plainScalarsKeepQuotesAndHashesInsideThemAsTwemproxyReadsThem() throws Exception {
        PoolTranslation quotedName = only(yaml("alpha:", "  listen: 127.0.0.1:22121", "  servers:",
                "   - 127.0.0.1:11211:1 'one'"));
        assertEquals(List.of("nutcracker.yml:4: [alpha] servers: 127.0.0.1:11211:1 'one': the name \"'one'\" cannot be a "
                + "kvproxy id (letters, digits and _ . : - only), and keys are placed by name"), messages(quotedName));
        assertProblems(pool("distribution: modula#not-a-comment"),
                ":3: [alpha] distribution: \"modula#not-a-comment\" is not ketama, modula or random");
    }

    @Test
    void yamlFeaturesWithinTwemproxysSubsetTranslate() throws Exception {
        String text = ini("\uFEFF---\r\n"
                + "# a comment\r\n"
                + "'alpha':   # the pool\r\n"
                + "    listen: \"127.0.0.1:22121\"  # quoted\r\n"
                + "    hash: \"mur\\x6d\\u0075r\"\r\n"
                + "    hash_tag: \"#!\" # a tag of # and !\r\n"
                + "    distribution: 'modula' #a comment\r\n"
                + "    auto_eject_hosts: true\r\n"
                + "\r\n"
                + "    servers:\r\n"
                + "    - 127.0.0.1:11211:1 one # indentless list\r\n"
                + "    - \"127.0.0.1:11212:1 two\"   # quoted\r\n"
                + "...\r\n");
        ProxyConfig config = load(text);
        assertEquals("murmur", config.pools().get(0).hash());
        assertEquals("modula", config.pools().get(0).distribution());
        assertEquals(Optional.of("#!"), config.pools().get(0).hashTag());
        assertEquals(List.of("one", "two"), config.pools().get(0).hosts().servers().stream().map(ServerSpec::id).toList());
    }

    @Test
    void severalPoolsBecomeOneFileWithAPoolSectionEach() throws Exception {
        String yaml = pool("auto_eject_hosts: true") + "\nbeta:\n  listen: 127.0.0.1:22122\n  redis: true\n  servers:\n   - 127.0.0.1:6379:1\n"
                + "gamma:\n  listen: 127.0.0.1:22123\n  auto_eject_hosts: true\n  timeout: 400\n  hash: md5\n  servers:\n   - 127.0.0.1:11213:1 g\n";
        List<PoolTranslation> pools = TwemproxyImport.translate(yaml, SOURCE);
        assertEquals(List.of("alpha", "beta", "gamma"), pools.stream().map(PoolTranslation::pool).toList());
        assertEquals(List.of(true, true, true), pools.stream().map(pool -> pool.ini().isPresent()).toList());
        String rendered = TwemproxyImport.render(pools, SOURCE);
        assertTrue(rendered.contains("\n[beta]\nlisten = 127.0.0.1:22122\nextension = redis.jar\n"), rendered);
        assertTrue(rendered.contains("; Pool \"gamma\" has recv_timeout = 400: kvproxy has one value for every pool"), rendered);
        ProxyConfig config = load(rendered);
        assertEquals(List.of("alpha", "beta", "gamma"), config.pools().stream().map(PoolSettings::name).toList());
        assertEquals(List.of("127.0.0.1:22121", "127.0.0.1:22122", "127.0.0.1:22123"),
                config.pools().stream().map(PoolSettings::listenAddress).toList());
        assertEquals("fnv1a_64", config.pools().get(0).hash());
        assertEquals("md5", config.pools().get(2).hash());
        assertEquals(List.of("g"), config.pools().get(2).hosts().servers().stream().map(ServerSpec::id).toList());
        // One pool alone is the INI it always was.
        assertEquals(pools.get(0).ini().get(), TwemproxyImport.render(pools.subList(0, 1), SOURCE));
        load(pools.get(0).ini().get());
    }

    @Test
    void valuesTwemproxyRefusesAreAllReportedAtOnce() {
        assertProblems(yaml(
                        "alpha:",
                        "  hash: sha1",
                        "  distribution: round_robin",
                        "  hash_tag: \"{\"",
                        "  timeout: soon",
                        "  backlog: -5",
                        "  preconnect: yes",
                        "  server_connections: 0",
                        "  server_failure_limit: many",
                        "  servers:",
                        "   - 127.0.0.1:11211:0",
                        "   - 127.0.0.1:11212",
                        "   - 127.0.0.1:11213:1 a",
                        "   - 127.0.0.1:11214:1 a"),
                ":1: [alpha] listen: missing (twemproxy requires it)",
                ":2: [alpha] hash: \"sha1\" is not one of twemproxy's hashes: one_at_a_time, md5, crc16, crc32, crc32a, "
                        + "fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins",
                ":3: [alpha] distribution: \"round_robin\" is not ketama, modula or random",
                ":4: [alpha] hash_tag: expected two characters, got \"{\"",
                ":5: [alpha] timeout: expected a non-negative number, got \"soon\"",
                ":6: [alpha] backlog: expected a non-negative number, got \"-5\"",
                ":7: [alpha] preconnect: expected true or false, got \"yes\"",
                ":8: [alpha] server_connections: cannot be 0",
                ":9: [alpha] server_failure_limit: expected a non-negative number, got \"many\"",
                ":11: [alpha] servers: expected a weight of 1 or more, got \"0\"",
                ":12: [alpha] servers: expected \"host:port:weight [name]\" or \"/path:weight [name]\", got \"127.0.0.1:11212\"",
                ":14: [alpha] servers: a second server named \"a\", first at line 13");
    }

    @Test
    void shapesTwemproxyRefusesAreAllReportedAtOnce() {
        assertProblems(yaml(
                        "alpha:",
                        "  listen: 127.0.0.1:22121",
                        "  listen: 127.0.0.1:22122",
                        "  hash_tag: {}",
                        "  hash: &h md5",
                        "  timeout:",
                        "  backlog:",
                        "   - 5",
                        "  servers:",
                        "   - 127.0.0.1:11211:1",
                        "     nested: 1",
                        "\tpreconnect: true",
                        "  distribution: 'ketama",
                        "beta:",
                        "  listen: 127.0.0.1:22121",
                        "  servers: 127.0.0.1:11211:1",
                        "alpha:",
                        "gamma: 1",
                        "  - 127.0.0.1:11211:1",
                        "---",
                        "delta:"),
                ":3: [alpha] listen: duplicate directive, first at line 2",
                ":4: [alpha] hash_tag: a YAML flow collection ({}), which twemproxy rejects; quote the value if it is a string",
                ":5: [alpha] hash: anchors, aliases, tags and block scalars are not part of twemproxy's configuration; quote "
                        + "the value if it is a string: &h md5",
                ":6: [alpha] timeout: has no value",
                ":8: [alpha] backlog: only servers: takes a list",
                ":11: [alpha] nested deeper than a directive: twemproxy allows only pool -> directive: value",
                ":12: [alpha] a tab in the indentation: YAML indents with spaces only",
                ":13: [alpha] distribution: unterminated quoted value: 'ketama",
                ":15: [beta] listen: the same address as pool \"alpha\"",
                ":16: [beta] servers: expected a list of \"- host:port:weight [name]\" lines",
                ":16: [beta] servers: no servers (twemproxy requires at least one)",
                ":17: pool \"alpha\" defined twice, first at line 1",
                ":18: [gamma] a pool is a name followed by indented directives, not a value",
                ":19: a list item that belongs to no directive: only servers: takes a list",
                ":20: a second YAML document: twemproxy reads exactly one",
                ":21: [delta] a pool without directives",
                ":21: [delta] listen: missing (twemproxy requires it)",
                ":21: [delta] servers: no servers (twemproxy requires at least one)");
    }

    @Test
    void aFileWithoutPoolsIsRefused() {
        assertProblems("# nothing here\n", ": no pools: expected \"name:\" lines, each followed by indented directives");
        assertProblems("alpha:\n", ":1: [alpha] a pool without directives",
                ":1: [alpha] listen: missing (twemproxy requires it)", ":1: [alpha] servers: no servers (twemproxy requires at least one)");
    }

    @Test
    void notesFormatLikeConfigProblems() {
        Note note = new Note(7, "alpha", "timeout", "message");
        assertEquals("nutcracker.yml:7: [alpha] timeout: message", note.format(SOURCE));
        assertEquals(";   line 7: timeout: message", note.comment());
        assertEquals(";   auto_eject_hosts: message", new Note(0, "alpha", "auto_eject_hosts", "message").comment());
    }
}
