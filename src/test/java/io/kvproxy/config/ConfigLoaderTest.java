package io.kvproxy.config;

import static io.kvproxy.config.IniFixture.assertProblems;
import static io.kvproxy.config.IniFixture.load;
import static io.kvproxy.config.IniFixture.write;
import static io.kvproxy.config.IniFixture.writeWithExtension;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The loader as the daemon uses it: the shipped file, defaults, and files refused as a whole. */
class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(10)
    void shippedConfigLoads() throws Exception {
        Path root = Path.of(System.getProperty("user.dir"));
        ProxyConfig config = ConfigLoader.load(root.resolve("etc/kvproxy.ini"), root, MemcachedKeysCheck.INSTANCE);

        ProxySettings proxy = config.proxy();
        assertEquals(55669, proxy.port());
        assertEquals("127.0.0.1", proxy.bind());
        assertEquals(2, proxy.threadCount());
        assertFalse(proxy.cpuAffinity());
        assertEquals(root.resolve("log/kvproxy.log"), proxy.logPath());
        assertEquals(root.resolve("ext"), proxy.extPath());

        PoolSettings extension = config.pools().get(0);
        assertEquals("memcached", extension.name());
        assertEquals("memcached.jar", extension.jar());
        assertEquals("master", extension.hosts().name());
        assertEquals(List.of("127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"),
                extension.hosts().servers().stream().map(ServerSpec::address).toList());
        assertEquals(List.of("1", "2", "3"), extension.hosts().servers().stream().map(ServerSpec::id).toList());
        assertTrue(extension.hosts().servers().stream().allMatch(server -> server.weight() == 100));
        assertEquals(Optional.empty(), extension.hostsBackup());
        assertEquals(Optional.empty(), extension.hostsRead());
        assertEquals("", extension.syncPrefix());
        assertEquals("md5", extension.hash());
        assertEquals("ketama", extension.distribution());
        assertEquals(Map.of("proto", "auto"), extension.protocolSettings());
    }

    /** The shipped file documents the defaults by setting each key to it: it must equal an empty [kvproxy]. */
    @Test
    @Timeout(10)
    void shippedConfigSetsEveryKeyToItsDefault() throws Exception {
        Path root = Path.of(System.getProperty("user.dir"));
        ProxyConfig shipped = ConfigLoader.load(root.resolve("etc/kvproxy.ini"), root, MemcachedKeysCheck.INSTANCE, IniFixture.CORES);
        ProxyConfig defaults = ConfigLoader.load(writeWithExtension(dir), root, MemcachedKeysCheck.INSTANCE, IniFixture.CORES);

        assertEquals(defaults.proxy(), shipped.proxy());
        for (String key : List.of("port", "bind", "thread_count", "cpu_affinity", "backlog", "recv_timeout",
                "connect_timeout", "idle_timeout", "log_path", "log_level", "ext_path", "max_packet",
                "failover_threshold", "failover_interval", "async_size", "max_clients")) {
            assertTrue(shipped.lineOf("kvproxy", key) > 0, key + " is missing from the shipped file");
        }
    }

    @Test
    @Timeout(10)
    void missingKvproxySectionGivesEveryDefault() throws Exception {
        ProxySettings proxy = load(writeWithExtension(dir), dir).proxy();

        assertEquals(new ProxySettings(55669, "127.0.0.1", 2, false, 1024, 100, 1000, 0,
                dir.resolve("log/kvproxy.log"), "warn", dir.resolve("ext"), 1024 * 1024, 2, 2, 50000, 10000, 0, 0), proxy);
    }

    @Test
    @Timeout(10)
    void emptyKvproxySectionGivesEveryDefault() throws Exception {
        ProxyConfig withSection = load(writeWithExtension(dir, "[kvproxy]"), dir);
        ProxyConfig without = load(writeWithExtension(dir), dir);

        assertEquals(without.proxy(), withSection.proxy());
    }

    @Test
    @Timeout(10)
    void extensionDefaults() throws Exception {
        PoolSettings extension = load(writeWithExtension(dir), dir).pools().get(0);

        assertEquals(new PoolSettings("memcached", "memcached.jar", "127.0.0.1", 55669,
                new ClusterSpec("master", List.of(new ServerSpec("127.0.0.1", 11211, "1", 100, 5))),
                Optional.empty(), Optional.empty(), "", "md5", "ketama", Optional.empty(), Map.of()),
                extension);
    }

    @Test
    @Timeout(10)
    void everyKeyIsSet() throws Exception {
        Path file = write(dir,
                "[kvproxy]",
                "port = 11000",
                "bind = 0.0.0.0",
                "thread_count = 8",
                "cpu_affinity = no",
                "backlog = 64",
                "recv_timeout = 250",
                "connect_timeout = 300",
                "idle_timeout = 3600",
                "log_path = /var/log/kvproxy.log",
                "log_level = debug",
                "ext_path = plugins",
                "max_packet = 128",
                "failover_threshold = 5",
                "failover_interval = 10",
                "async_size = 7",
                "max_clients = 3",
                "metrics_port = 9150",
                "[mc]",
                "extension = mc.jar",
                "hosts = main",
                "hosts_backup = spare",
                "hosts_read = replica",
                "sync_str = \"+\"",
                "proto = binary",
                "hash = fnv1a_64",
                "distribution = kvproxy",
                "hash_tag = \"{}\"",
                "[main]",
                "10.0.0.1:11211 = \"a:1\"",
                "[spare]",
                "10.0.0.2:11211 = \"a:1\"",
                "[replica]",
                "10.0.0.3:11211 = \"a:1\"");

        ProxyConfig config = load(file, dir);

        assertEquals(new ProxySettings(11000, "0.0.0.0", 8, false, 64, 250, 300, 3600, Path.of("/var/log/kvproxy.log"),
                "debug", dir.resolve("plugins"), 128 * 1024 * 1024, 5, 10, 7, 3, 9150, 0), config.proxy());
        PoolSettings extension = config.pools().get(0);
        assertEquals("mc", extension.name());
        assertEquals("mc.jar", extension.jar());
        assertEquals("main", extension.hosts().name());
        assertEquals("spare", extension.hostsBackup().orElseThrow().name());
        assertEquals("10.0.0.2:11211", extension.hostsBackup().orElseThrow().servers().get(0).address());
        assertEquals("replica", extension.hostsRead().orElseThrow().name());
        assertEquals("+", extension.syncPrefix());
        assertEquals(Map.of("proto", "binary"), extension.protocolSettings());
        assertEquals("fnv1a_64", extension.hash());
        assertEquals("kvproxy", extension.distribution());
        assertEquals(Optional.of("{}"), extension.hashTag());
        assertEquals(file, config.file());
    }

    @Test
    @Timeout(10)
    void cpuAffinityForcesTheCoreCount() throws Exception {
        ProxySettings proxy = load(writeWithExtension(dir, "[kvproxy]", "thread_count = 3", "cpu_affinity = on"), dir).proxy();

        assertTrue(proxy.cpuAffinity());
        assertEquals(IniFixture.CORES, proxy.threadCount());
    }

    @Test
    @Timeout(10)
    void cpuAffinityUsesTheMachinesCoresByDefault() throws Exception {
        Path file = writeWithExtension(dir, "[kvproxy]", "thread_count = 1", "cpu_affinity = yes");

        assertEquals(Runtime.getRuntime().availableProcessors(), ConfigLoader.load(file, dir, MemcachedKeysCheck.INSTANCE).proxy().threadCount());
    }

    @Test
    @Timeout(10)
    void threadCountIsStillCheckedWhenCpuAffinityIgnoresIt() throws Exception {
        Path file = writeWithExtension(dir, "[kvproxy]", "thread_count = lots", "cpu_affinity = on");

        assertProblems(file, ":2: [kvproxy] thread_count: expected an integer in 1..1024, got \"lots\"");
    }

    @Test
    @Timeout(10)
    void keyLinesNameEveryKeyAndServer() throws Exception {
        Path file = write(dir,
                "; comment",
                "[kvproxy]",
                "port = 1234",
                "",
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"",
                "[::1]:11212 = \"2:100\"");

        ProxyConfig config = load(file, dir);

        assertEquals(Map.of("kvproxy.port", 3, "memcached.extension", 6, "memcached.hosts", 7,
                "master.127.0.0.1:11211", 9, "master.[::1]:11212", 10), config.keyLines());
        assertEquals(7, config.lineOf("memcached", "hosts"));
        assertEquals(0, config.lineOf("memcached", "proto"));
    }

    @Test
    @Timeout(10)
    void relativePathsAreUnderTheInstallRootAndAbsoluteOnesAsWritten() throws Exception {
        Path absolute = dir.resolve("elsewhere/kv.log").toAbsolutePath();
        Path root = dir.resolve("install");
        Path file = writeWithExtension(dir, "[kvproxy]", "log_path = " + absolute, "ext_path = ./lib/../ext2/");

        ProxySettings proxy = ConfigLoader.load(file, root, MemcachedKeysCheck.INSTANCE, IniFixture.CORES).proxy();

        assertEquals(absolute, proxy.logPath());
        assertEquals(root.resolve("ext2"), proxy.extPath());
    }

    @Test
    @Timeout(10)
    void missingFileIsOneProblem() {
        Path file = dir.resolve("nope.ini");

        assertProblems(file, ": cannot read config file: no such file");
    }

    @Test
    @Timeout(10)
    void directoryIsOneProblem() {
        ConfigException refused = assertThrows(ConfigException.class, () -> load(dir, dir));

        assertEquals(1, refused.problems().size());
        assertTrue(refused.problems().get(0).startsWith(dir + ": cannot read config file: "), refused.getMessage());
    }

    @Test
    @Timeout(10)
    void fileThatIsNotUtf8IsOneProblem() throws Exception {
        Path file = dir.resolve("kvproxy.ini");
        Files.write(file, new byte[] {'[', 'k', ']', '\n', (byte) 0xff, (byte) 0xfe, '=', '1', '\n'});

        assertProblems(file, ": cannot read config file: not UTF-8 text");
    }

    @Test
    @Timeout(10)
    void emptyFileLacksOnlyTheExtensionSection() throws Exception {
        assertProblems(write(dir, ""), ": no pool: no section with extension=... (for example [memcached] extension = memcached.jar)");
    }

    /** One run reports every kind of mistake, each on its own line, in file order. */
    @Test
    @Timeout(10)
    void everyProblemIsReportedAtOnceWithItsLine() throws Exception {
        Path file = write(dir,
                "[kvproxy]",                          // 1
                "port = 55669;x",                     // 2
                "thread_count = 1.5",                 // 3
                "log_level = loud",                   // 4
                "colour = blue",                      // 5
                "port = 1",                           // 6
                "[memcached]",                        // 7
                "extension = memcached.so",           // 8
                "hosts = master",                     // 9
                "hosts_read = mastr",                 // 10
                "hash = sha1",                        // 11
                "[master]",                           // 12
                "127.0.0.1:11211 = \"1:100\"",        // 13
                "127.0.0.1:99999 = \"2:100\"",        // 14
                "127.0.0.1:11213 = \"1:100\"",        // 15
                "[typo]",                             // 16
                "127.0.0.1:11214 = \"1:100\"",        // 17
                "garbage line");                      // 18

        assertProblems(file,
                ":2: [kvproxy] port: expected an integer in 1..65535, got \"55669;x\"",
                ":3: [kvproxy] thread_count: expected an integer in 1..1024, got \"1.5\"",
                ":4: [kvproxy] log_level: expected one of fatal, error, warn, info, debug, got \"loud\"",
                ":5: [kvproxy] colour: unknown key",
                ":6: [kvproxy] port: duplicate key, first at line 2",
                ":8: [memcached] extension: expected a jar file name ending in .jar, got \"memcached.so\"",
                ":10: [memcached] hosts_read: no cluster section [mastr]",
                ":11: [memcached] hash: expected one of one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64,"
                        + " fnv1_32, fnv1a_32, hsieh, murmur, jenkins, got \"sha1\"",
                ":14: [master] 127.0.0.1:99999: expected a port in 1..65535, got \"99999\"",
                ":15: [master] 127.0.0.1:11213: duplicate id \"1\", first at line 13",
                ":16: cluster [typo] is not used by hosts, hosts_backup or hosts_read",
                ":18: [typo] expected key = value, got: garbage line");
    }

    @Test
    @Timeout(10)
    void statsPortIsReadAndMayNotBeThePort() throws Exception {
        assertEquals(22222, load(writeWithExtension(dir, "[kvproxy]", "stats_port = 22222"), dir).proxy().statsPort());
        assertProblems(writeWithExtension(dir, "[kvproxy]", "port = 22222", "stats_port = 22222"),
                ":3: [kvproxy] stats_port: must differ from port (22222)");
        assertProblems(writeWithExtension(dir, "[kvproxy]", "stats_port = 70000"),
                ":2: [kvproxy] stats_port: expected an integer in 0..65535, got \"70000\"");
    }

    @Test
    @Timeout(10)
    void problemFormatOmitsWhatDoesNotApply() {
        Path file = Path.of("etc/kvproxy.ini");

        assertEquals("etc/kvproxy.ini:3: [memcached] proto: bad", ConfigException.problem(file, 3, "memcached", "proto", "bad"));
        assertEquals("etc/kvproxy.ini: [memcached] hosts: required", ConfigException.problem(file, 0, "memcached", "hosts", "required"));
        assertEquals("etc/kvproxy.ini:9: [master] empty", ConfigException.problem(file, 9, "master", null, "empty"));
        assertEquals("etc/kvproxy.ini: unreadable", ConfigException.problem(file, 0, null, "", "unreadable"));
    }

    @Test
    @Timeout(10)
    void exceptionNeedsAProblemAndCopiesThem() {
        assertThrows(IllegalArgumentException.class, () -> new ConfigException(List.of()));
        ConfigException exception = new ConfigException(List.of("a", "b"));
        assertEquals("a\nb", exception.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> exception.problems().add("c"));
    }
}
