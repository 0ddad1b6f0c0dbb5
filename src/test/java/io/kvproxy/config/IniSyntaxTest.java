package io.kvproxy.config;

import static io.kvproxy.config.IniFixture.assertProblems;
import static io.kvproxy.config.IniFixture.load;
import static io.kvproxy.config.IniFixture.write;
import static io.kvproxy.config.IniFixture.writeWithExtension;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** INI syntax as kvproxy reads it: ini4j behind a line scanner that fixes its quirks and counts lines. */
class IniSyntaxTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(10)
    void commentsAndBlankLinesAreSkippedAndCounted() throws Exception {
        Path file = write(dir,
                "; a comment",
                "# another comment",
                "",
                "   ; indented comment",
                "[kvproxy]",
                "  # port = 1",
                "port = 2000",
                "",
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                "[master]",
                "; 127.0.0.1:11210 = \"0:100\"",
                "127.0.0.1:11211 = \"1:100\"");

        ProxyConfig config = load(file, dir);

        assertEquals(2000, config.proxy().port());
        assertEquals(7, config.lineOf("kvproxy", "port"));
        assertEquals(List.of(new ServerSpec("127.0.0.1", 11211, "1", 100, 14)), config.pools().get(0).hosts().servers());
    }

    @Test
    @Timeout(10)
    void quotesAreStrippedAndKeepSpaces() throws Exception {
        Path file = write(dir,
                "[kvproxy]",
                "port = \"2000\"",
                "[memcached]",
                "extension = \"memcached.jar\"",
                "hosts = master",
                "sync_str = \" sync \"",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"",
                "127.0.0.1:11212=2:50");

        ProxyConfig config = load(file, dir);

        assertEquals(2000, config.proxy().port());
        assertEquals("memcached.jar", config.pools().get(0).jar());
        assertEquals(" sync ", config.pools().get(0).syncPrefix());
        assertEquals(List.of(new ServerSpec("127.0.0.1", 11211, "1", 100, 8), new ServerSpec("127.0.0.1", 11212, "2", 50, 9)),
                config.pools().get(0).hosts().servers());
    }

    @Test
    @Timeout(10)
    void equalsSignIsTheOnlyOperator() throws Exception {
        Path file = writeWithExtension(dir, "[kvproxy]", "port: 2000");

        assertProblems(file, ":2: [kvproxy] expected key = value, got: port: 2000");
    }

    @Test
    @Timeout(10)
    void valueMayHoldEqualsColonsAndBackslashes() throws Exception {
        Path file = write(dir,
                "[kvproxy]",
                "log_path = C:\\\\logs\\\\kv=1.log",
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                "sync_str = a=b:c\\n",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"");

        ProxyConfig config = load(file, dir);

        assertEquals(dir.resolve("C:\\\\logs\\\\kv=1.log"), config.proxy().logPath());
        assertEquals("a=b:c\\n", config.pools().get(0).syncPrefix());
    }

    /** No inline comments (as in the original): the comment is part of the value, and a number refuses it. */
    @Test
    @Timeout(10)
    void inlineCommentIsPartOfTheValue() throws Exception {
        Path file = writeWithExtension(dir, "[kvproxy]", "port = 55669 ; the port");

        assertProblems(file, ":2: [kvproxy] port: expected an integer in 1..65535, got \"55669 ; the port\"");
    }

    @Test
    @Timeout(10)
    void windowsLineEndingsAndByteOrderMark() throws Exception {
        Path file = dir.resolve("kvproxy.ini");
        Files.writeString(file, "\uFEFF[kvproxy]\r\nport = 2000\r\n[memcached]\r\nextension = memcached.jar\r\n"
                + "hosts = master\r\n[master]\r\n127.0.0.1:11211 = \"1:100\"\r\n");

        ProxyConfig config = load(file, dir);

        assertEquals(2000, config.proxy().port());
        assertEquals(7, config.lineOf("master", "127.0.0.1:11211"));
    }

    @Test
    @Timeout(10)
    void emptyValueCountsAsMissingForOptionalNames() throws Exception {
        Path file = write(dir,
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                "hosts_backup =",
                "hosts_read = \"\"",
                "hash_tag =",
                "sync_str = \"\"",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"");

        PoolSettings extension = load(file, dir).pools().get(0);

        assertEquals(Optional.empty(), extension.hostsBackup());
        assertEquals(Optional.empty(), extension.hostsRead());
        assertEquals(Optional.empty(), extension.hashTag());
        assertEquals("", extension.syncPrefix());
    }

    @Test
    @Timeout(10)
    void emptyValueOfANumberIsAProblem() throws Exception {
        assertProblems(writeWithExtension(dir, "[kvproxy]", "backlog ="),
                ":2: [kvproxy] backlog: expected an integer >= 1, got \"\"");
    }

    /** An unbalanced quote is one problem; the value is not then also reported as a bad number or missing. */
    @Test
    @Timeout(10)
    void unbalancedQuotesAreOneProblemEach() throws Exception {
        Path file = write(dir,
                "[kvproxy]",
                "port = \"2000",
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master\"",
                "[master]",
                "127.0.0.1:11211 = \"1:100");

        assertProblems(file,
                ":2: [kvproxy] port: unbalanced quotes in \"2000",
                ":5: [memcached] hosts: unbalanced quotes in master\"",
                ":6: cluster [master] is not used by hosts, hosts_backup or hosts_read",
                ":7: [master] 127.0.0.1:11211: unbalanced quotes in \"1:100");
    }

    @Test
    @Timeout(10)
    void malformedLinesAreReportedAndTheRestIsStillRead() throws Exception {
        Path file = write(dir,
                "orphan = 1",                   // 1
                "[kvproxy",                     // 2
                "port = 1",                     // 3: under a broken header, not checked
                "[]",                           // 4
                "[kvproxy]",                    // 5
                "= 3",                          // 6
                "just words",                   // 7
                "port = x",                     // 8
                "[memcached]",                  // 9
                "extension = memcached.jar",    // 10
                "hosts = master",               // 11
                "[master]",                     // 12
                "127.0.0.1:11211 = \"1:100\"",  // 13
                "[master]",                     // 14
                "127.0.0.1:11212 = \"2:100\""); // 15

        assertProblems(file,
                ":1: orphan: key outside any section",
                ":2: malformed section header, expected [name]: [kvproxy",
                ":4: empty section name",
                ":6: [kvproxy] missing key before '='",
                ":7: [kvproxy] expected key = value, got: just words",
                ":8: [kvproxy] port: expected an integer in 1..65535, got \"x\"",
                ":14: [master] duplicate section, first at line 12");
    }

    @Test
    @Timeout(10)
    void keysAndSectionNamesAreTakenAsWritten() throws Exception {
        // backslashes and ini4j escape sequences in names must reach the loader unchanged
        Path file = write(dir,
                "[memcached]",
                "extension = memcached.jar",
                "hosts = c:\\u0041\\t",
                "[c:\\u0041\\t]",
                "127.0.0.1:11211 = \"1:100\"");

        assertEquals("c:\\u0041\\t", load(file, dir).pools().get(0).hosts().name());
    }

    @Test
    @Timeout(10)
    void unknownKeyWithBackslashIsReportedAsWritten() throws Exception {
        assertProblems(writeWithExtension(dir, "[kvproxy]", "po\\rt = 1"), ":2: [kvproxy] po\\rt: unknown key");
    }

    /**
     * Whatever the text, the loader answers with a config or a ConfigException: never another exception
     * (in particular never the scanner and ini4j disagreeing about a line).
     */
    @Test
    @Timeout(60)
    void anyTextGivesAConfigOrProblems() throws Exception {
        String[] tokens = {"[", "]", "=", ":", "\"", ";", "#", "\\", " ", "\t", "\n", "\r\n", "\r", "<", ">", "u0041",
            "kvproxy", "memcached", "master", "extension", "hosts", "hosts_read", "port", "bind", "memcached.jar",
            "127.0.0.1", "11211", "1:100", "[::1]", "::", "0", "-", "\u00e9", "\uFEFF"};
        Random random = new Random(20240601L);
        Path file = dir.resolve("fuzz.ini");
        for (int run = 0; run < 3000; run++) {
            StringBuilder text = new StringBuilder(random.nextBoolean() ? String.join("\n", IniFixture.MINIMAL_EXTENSION) + "\n" : "");
            int count = random.nextInt(40);
            for (int i = 0; i < count; i++) {
                text.append(tokens[random.nextInt(tokens.length)]);
            }
            Files.writeString(file, text);
            try {
                load(file, dir);
            } catch (ConfigException expected) {
                assertEquals(false, expected.problems().isEmpty());
            } catch (RuntimeException e) {
                throw new AssertionError("loader failed on: " + text, e);
            }
        }
    }
}
