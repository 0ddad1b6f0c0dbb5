package io.kvproxy.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.ConfigLoader;
import io.kvproxy.config.MemcachedKeysCheck;
import io.kvproxy.config.ProxyConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kvproxy --import-twemproxy FILE [--pool NAME]}: the INI on stdout, what is not translated on
 * stderr, and the exit codes.
 */
@Timeout(30)
class ImportTwemproxyCommandTest {

    private static final String TWO_POOLS = """
            alpha:
              listen: 127.0.0.1:22121
              hash: murmur
              hash_tag: "{}"
              timeout: 0
              auto_eject_hosts: true
              servers:
               - 127.0.0.1:11211:1 one
               - 127.0.0.1:11212:2 two
            beta:
              listen: 127.0.0.1:22122
              redis: true
              servers:
               - /var/run/redis.sock:1
            """;

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path write(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    @Test
    void onePoolPrintsItsIniWhichTheConfigLoaderAccepts() throws Exception {
        Path yaml = write("nutcracker.yml", TWO_POOLS);
        Run imported = run("--import-twemproxy", yaml.toString(), "--pool", "alpha");
        assertEquals(0, imported.exitCode(), imported.err());
        assertTrue(imported.out().startsWith("; kvproxy configuration for the twemproxy pool \"alpha\""), imported.out());
        assertTrue(imported.out().contains(";   line 5: timeout: 0 (wait forever)"), imported.out());
        assertTrue(imported.out().contains("[alpha]\n127.0.0.1:11211 = \"one:1\"\n127.0.0.1:11212 = \"two:2\"\n"), imported.out());
        assertEquals("kvproxy: pool alpha: translated; notes:\n  " + yaml + ":5: [alpha] timeout: 0 (wait forever): kvproxy "
                + "always gives up on a backend at some point; recv_timeout keeps its default, 100 ms\n", imported.err());

        // As kvproxy -t reads it (the extension jar is checked by the integration test that runs the import).
        ProxyConfig config = ConfigLoader.load(write("alpha.ini", imported.out()), dir, MemcachedKeysCheck.INSTANCE);
        assertEquals(22121, config.proxy().port());
        assertEquals("murmur", config.pools().get(0).hash());
    }

    @Test
    void severalPoolsArePrintedAsOneFileAndTheUntranslatedOneIsNamed() throws Exception {
        Path yaml = write("nutcracker.yml", TWO_POOLS);
        Run imported = run("--import-twemproxy", yaml.toString());
        assertEquals(0, imported.exitCode(), imported.err());
        assertTrue(imported.out().contains("\n[alpha]\nlisten = "), imported.out());
        assertTrue(imported.out().contains("; twemproxy pool \"beta\" (nutcracker.yml, line 10) "
                + "cannot be translated:\n;   line 14: servers: /var/run/redis.sock:1: a unix socket; kvproxy connects to "
                + "servers over TCP only\n"), imported.out());
        assertTrue(imported.err().contains("kvproxy: pool beta: NOT translated; because:\n  " + yaml
                + ":14: [beta] servers: /var/run/redis.sock:1: a unix socket; kvproxy connects to servers over TCP only\n"),
                imported.err());
    }

    @Test
    void nothingTranslatableExitsOne() throws Exception {
        Path yaml = write("nutcracker.yml", TWO_POOLS);
        Run beta = run("--import-twemproxy", yaml.toString(), "--pool", "beta");
        assertEquals(1, beta.exitCode());
        assertEquals("", beta.out());
        assertTrue(beta.err().contains("NOT translated"), beta.err());

        Run missingPool = run("--import-twemproxy", yaml.toString(), "--pool", "gamma");
        assertEquals(1, missingPool.exitCode());
        assertEquals("kvproxy: '" + yaml + "' has no pool named 'gamma'\n", missingPool.err());
    }

    @Test
    void anUnreadableOrInvalidFileExitsOneWithEveryProblem() throws Exception {
        Run missing = run("--import-twemproxy", dir.resolve("gone.yml").toString());
        assertEquals(1, missing.exitCode());
        assertEquals("kvproxy: cannot read twemproxy configuration '" + dir.resolve("gone.yml") + "': no such file\n", missing.err());

        Path bad = write("bad.yml", "alpha:\n  listen: 127.0.0.1:22121\n  hash: sha1\n  servers:\n   - 127.0.0.1:11211:0\n");
        Run invalid = run("--import-twemproxy", bad.toString());
        assertEquals(1, invalid.exitCode());
        assertEquals("", invalid.out());
        assertEquals("kvproxy: '" + bad + "' is not a valid twemproxy configuration:\n"
                + "  " + bad + ":3: [alpha] hash: \"sha1\" is not one of twemproxy's hashes: one_at_a_time, md5, crc16, crc32, "
                + "crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins\n"
                + "  " + bad + ":5: [alpha] servers: expected a weight of 1 or more, got \"0\"\n", invalid.err());
    }

    @Test
    void badUsageExitsTwo() {
        assertEquals(2, run("--import-twemproxy").exitCode());
        assertEquals(2, run("--pool", "alpha").exitCode());
        Run help = run("-h");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("kvproxy --import-twemproxy FILE [--pool NAME]"), help.out());
    }
}
