package io.kvproxy.config;

import static io.kvproxy.config.IniFixture.assertProblems;
import static io.kvproxy.config.IniFixture.load;
import static io.kvproxy.config.IniFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kvproxy.spi.ExtensionSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Pool sections: which sections they are, their keys, their listen addresses, and the clusters they name. */
class PoolSectionTest {

    @TempDir
    Path dir;

    /** [memcached] at line 1 with {@code line} at line 4, then the cluster [master]. */
    private Path withLine(String line) throws Exception {
        return write(dir,
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                line,
                "[master]",
                "127.0.0.1:11211 = \"1:100\"");
    }

    private PoolSettings loadWith(String line) throws Exception {
        return load(withLine(line), dir).pools().get(0);
    }

    @Test
    @Timeout(10)
    void sectionWithTheExtensionKeyIsTheExtensionWhateverItsName() throws Exception {
        Path file = write(dir,
                "[kvproxy]",
                "port = 1000",
                "[mc]",
                "hosts = pool",
                "extension = mc.jar",
                "[pool]",
                "127.0.0.1:11211 = \"1:100\"");

        PoolSettings extension = load(file, dir).pools().get(0);

        assertEquals("mc", extension.name());
        assertEquals("mc.jar", extension.jar());
        assertEquals("pool", extension.hosts().name());
    }

    @Test
    @Timeout(10)
    void missingExtensionSection() throws Exception {
        Path file = write(dir, "[kvproxy]", "port = 1000", "[master]", "127.0.0.1:11211 = \"1:100\"");

        assertProblems(file,
                ":3: cluster [master] is not used by hosts, hosts_backup or hosts_read",
                ": no pool: no section with extension=... (for example [memcached] extension = memcached.jar)");
    }

    @Test
    @Timeout(10)
    void everySectionWithAnExtensionIsAPoolWithItsOwnListenAddress() throws Exception {
        Path file = write(dir,
                "[kvproxy]",
                "port = 22000",
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                "[sessions]",
                "extension = memcached.jar",
                "listen = 22001",
                "hosts = master",
                "hash = fnv1a_64",
                "[edge]",
                "extension = memcached.jar",
                "listen = 127.0.0.2:22002",
                "hosts = other",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"",
                "[other]",
                "127.0.0.1:11212 = \"1:100\"");

        ProxyConfig config = load(file, dir);

        assertEquals(List.of("memcached", "sessions", "edge"), config.pools().stream().map(PoolSettings::name).toList());
        assertEquals(List.of("127.0.0.1:22000", "127.0.0.1:22001", "127.0.0.2:22002"),
                config.pools().stream().map(PoolSettings::listenAddress).toList());
        assertEquals("fnv1a_64", config.pools().get(1).hash());
        assertEquals("md5", config.pools().get(0).hash());
        // Two pools may route over one cluster, each on its own.
        assertEquals(config.pools().get(0).hosts(), config.pools().get(1).hosts());
    }

    @Test
    @Timeout(10)
    void twoPoolsOnOneAddressAreEachReportedAndStillChecked() throws Exception {
        Path file = write(dir,
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                "[redis]",
                "hosts = other",
                "extension = redis.jar",
                "hash = sha1",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"",
                "[other]",
                "127.0.0.1:6379 = \"1:100\"");

        assertProblems(file,
                ":6: [redis] listen: pool [redis] listens on 127.0.0.1:55669, as pool [memcached] does: give each pool"
                        + " its own listen = [host:]port",
                ":7: [redis] hash: expected one of one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64,"
                        + " fnv1_32, fnv1a_32, hsieh, murmur, jenkins, got \"sha1\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"listen = 0", "listen = 65536", "listen = http", "listen = 127.0.0.1:", "listen = a b:11211",
            "listen = 1.2.3.999:11211"})
    @Timeout(10)
    void aBadListenAddressIsRefusedWithItsLine(String line) throws Exception {
        String value = line.substring("listen = ".length());
        String what = value.matches(".*:[0-9]+") ? "an IP address or host name" : "a port in 1..65535";
        assertProblems(withLine(line), ":4: [memcached] listen: expected [host:]port with " + what + ", got \"" + value + "\"");
    }

    @Test
    @Timeout(10)
    void listenTakesAnIpv6Literal() throws Exception {
        assertEquals("[::1]:22003", loadWith("listen = [::1]:22003").listenAddress());
    }

    /** The loader only checks the name: whether the jar exists is the extension loader's business. */
    @Test
    @Timeout(10)
    void jarIsNotLookedFor() throws Exception {
        Path file = write(dir, "[memcached]", "extension = nowhere.jar", "hosts = master", "[master]", "127.0.0.1:11211 = \"1:100\"");

        assertEquals("nowhere.jar", load(file, dir).pools().get(0).jar());
    }

    @ParameterizedTest
    @Timeout(10)
    @CsvSource(delimiter = '|', value = {
        "memcached.so      | expected a jar file name ending in .jar, got \"memcached.so\"",
        ".jar              | expected a jar file name ending in .jar, got \".jar\"",
        "\"\"              | expected a jar file name ending in .jar, got \"\"",
        "lib/memcached.jar | expected a file name in ext_path, not a path: \"lib/memcached.jar\""})
    void badJarName(String jar, String problem) throws Exception {
        Path file = write(dir, "[memcached]", "extension = " + jar, "hosts = master", "[master]", "127.0.0.1:11211 = \"1:100\"");

        assertProblems(file, ":2: [memcached] extension: " + problem);
    }

    @Test
    @Timeout(10)
    void hostsIsRequired() throws Exception {
        Path file = write(dir, "[memcached]", "extension = memcached.jar", "hosts_read = master", "[master]", "127.0.0.1:11211 = \"1:100\"");

        assertProblems(file, ": [memcached] hosts: required");
    }

    @Test
    @Timeout(10)
    void emptyHostsIsMissing() throws Exception {
        Path file = write(dir, "[memcached]", "extension = memcached.jar", "hosts =", "hosts_read = master",
                "[master]", "127.0.0.1:11211 = \"1:100\"");

        assertProblems(file, ":3: [memcached] hosts: required");
    }

    @Test
    @Timeout(10)
    void clusterThatDoesNotExistIsReportedOnItsKeysLine() throws Exception {
        Path file = write(dir,
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                "hosts_backup = backup",
                "hosts_read = kvproxy",
                "[kvproxy]",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"");

        assertProblems(file,
                ":4: [memcached] hosts_backup: no cluster section [backup]",
                ":5: [memcached] hosts_read: no cluster section [kvproxy]");
    }

    @ParameterizedTest
    @Timeout(10)
    @ValueSource(strings = {"hosts_backup", "hosts_read"})
    void backupOrReadClusterMustDifferFromHosts(String key) throws Exception {
        assertProblems(withLine(key + " = master"),
                ":4: [memcached] " + key + ": must name another cluster than hosts (\"master\")");
    }

    @Test
    @Timeout(10)
    void backupAndReadMayBeTheSameCluster() throws Exception {
        Path file = write(dir,
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                "hosts_backup = replica",
                "hosts_read = replica",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"",
                "[replica]",
                "127.0.0.1:11311 = \"1:100\"");

        PoolSettings extension = load(file, dir).pools().get(0);

        assertEquals(extension.hostsBackup(), extension.hostsRead());
        assertEquals("replica", extension.hostsRead().orElseThrow().name());
    }

    @ParameterizedTest
    @Timeout(10)
    @ValueSource(strings = {"auto", "text", "binary"})
    void protoGoesToTheProtocolSettings(String proto) throws Exception {
        assertEquals(Map.of("proto", proto), loadWith("proto = " + proto).protocolSettings());
    }

    @ParameterizedTest
    @Timeout(10)
    @ValueSource(strings = {"one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64", "fnv1_32",
        "fnv1a_32", "hsieh", "murmur", "jenkins"})
    void everyTwemproxyHash(String hash) throws Exception {
        assertEquals(hash, loadWith("hash = " + hash).hash());
    }

    @ParameterizedTest
    @Timeout(10)
    @ValueSource(strings = {"ketama", "modula", "random", "kvproxy"})
    void everyDistribution(String distribution) throws Exception {
        assertEquals(distribution, loadWith("distribution = " + distribution).distribution());
    }

    @Test
    @Timeout(10)
    void syncPrefixAsWritten() throws Exception {
        assertEquals("+", loadWith("sync_str = +").syncPrefix());
    }

    @Test
    @Timeout(10)
    void keysTheCoreDoesNotKnowGoToTheExtensionWithTheirLines() throws Exception {
        Path file = write(dir,
                "[memcached]",
                "extension = memcached.jar",
                "redis_auth = secret",
                "hosts = master",
                "redis_db = 2",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"");
        List<ExtensionSettings.Setting> seen = new ArrayList<>();
        ExtensionCheck accepting = (jar, pool, settings) -> {
            assertEquals(dir.resolve("ext/memcached.jar"), jar);
            assertEquals("memcached", pool);
            seen.addAll(settings.all());
        };

        PoolSettings pool = ConfigLoader.load(file, dir, accepting, IniFixture.CORES).pools().get(0);

        assertEquals(List.of(new ExtensionSettings.Setting("redis_auth", "secret", 3), new ExtensionSettings.Setting("redis_db", "2", 5)), seen);
        assertEquals(Map.of("redis_auth", "secret", "redis_db", "2"), pool.protocolSettings());
    }

    @Test
    @Timeout(10)
    void whatTheExtensionRefusesIsReportedWithTheCoresProblemsInLineOrder() throws Exception {
        Path file = write(dir,
                "[memcached]",
                "extension = memcached.jar",
                "colour = blue",
                "hash = sha1",
                "proto = morse",
                "hosts = master",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"");

        assertProblems(file,
                ":3: [memcached] colour: unknown key",
                ":4: [memcached] hash: expected one of one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64,"
                        + " fnv1_32, fnv1a_32, hsieh, murmur, jenkins, got \"sha1\"",
                ":5: [memcached] proto: expected one of auto, text, binary, got \"morse\"");
    }

    @Test
    @Timeout(10)
    void anUnusableExtensionIsReportedOnItsLineAndTheRestStillChecked() throws Exception {
        Path file = write(dir,
                "[memcached]",
                "extension = gone.jar",
                "hash = sha1",
                "hosts = master",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"");
        ExtensionCheck missing = (jar, pool, settings) -> {
            throw new ExtensionCheck.UnusableExtensionException(jar.getFileName() + ": extension jar not found");
        };

        ConfigException refused = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, dir, missing, IniFixture.CORES));

        assertEquals(List.of(file + ":2: [memcached] extension: gone.jar: extension jar not found",
                file + ":3: [memcached] hash: expected one of one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64,"
                        + " fnv1_32, fnv1a_32, hsieh, murmur, jenkins, got \"sha1\""), refused.problems());
    }

    @Test
    @Timeout(10)
    void aDuplicateExtensionKeyIsTheCoresToReport() throws Exception {
        assertProblems(withLine("proto = text\nproto = binary"), ":5: [memcached] proto: duplicate key, first at line 4");
    }

    @ParameterizedTest
    @Timeout(10)
    @CsvSource(delimiter = '|', value = {
        "proto = json          | proto: expected one of auto, text, binary, got \"json\"",
        "hash = MD5            | hash: expected one of one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64,"
                + " fnv1_32, fnv1a_32, hsieh, murmur, jenkins, got \"MD5\"",
        "distribution = ring   | distribution: expected one of ketama, modula, random, kvproxy, got \"ring\"",
        "hash_tag = {          | hash_tag: expected two ASCII characters (begin and end, e.g. {}), got \"{\"",
        "hash_tag = \"{}}\"    | hash_tag: expected two ASCII characters (begin and end, e.g. {}), got \"{}}\"",
        "hash_tag = «»         | hash_tag: expected two ASCII characters (begin and end, e.g. {}), got \"«»\"",
        "port = 1              | port: unknown key",
        "hosts = other         | hosts: duplicate key, first at line 3"})
    void badKeyIsReportedOnItsLine(String line, String problem) throws Exception {
        assertProblems(withLine(line), ":4: [memcached] " + problem);
    }
}
