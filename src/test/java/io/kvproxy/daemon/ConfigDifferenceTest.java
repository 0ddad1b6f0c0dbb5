package io.kvproxy.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kvproxy.config.ConfigLoader;
import io.kvproxy.config.ProxyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two configurations compared by value: every key that differs, nothing for lines that only moved. */
@Timeout(10)
class ConfigDifferenceTest {

    private static final String BASE = """
            [kvproxy]
            port = 55669

            [memcached]
            extension = memcached.jar
            hosts = master
            proto = auto

            [master]
            127.0.0.1:11211 = "1:100"
            127.0.0.1:11212 = "2:100"
            """;

    @TempDir
    Path dir;

    @Test
    void aFileThatOnlyMovedLinesDiffersInNothing() throws Exception {
        assertEquals(List.of(), differences(BASE, "; a comment\n\n" + BASE.replace("port = 55669", "port = 55669\n")));
    }

    @Test
    void everyChangedKeyIsListedWithItsLineInTheNewFile() throws Exception {
        String next = BASE.replace("port = 55669", "port = 55670\nrecv_timeout = 300")
                .replace("proto = auto", "proto = text\nhash = fnv1a_64")
                .replace("127.0.0.1:11211 = \"1:100\"", "127.0.0.1:11211 = \"1:50\"")
                .replace("127.0.0.1:11212 = \"2:100\"", "127.0.0.1:11213 = \"3:100\"");
        assertEquals(List.of(
                "[kvproxy] port: 55669 → 55670 @2",
                "[kvproxy] recv_timeout: 100 → 300 @3",
                "[memcached] hash: md5 → fnv1a_64 @9",
                "[memcached] proto: auto → text @8",
                "[master] 127.0.0.1:11211: 1:100 → 1:50 @12",
                "[master] 127.0.0.1:11212: 2:100 → (none) @0",
                "[master] 127.0.0.1:11213: (none) → 3:100 @13"), differences(BASE, next));
    }

    @Test
    void aBackupClusterAddedIsADifferenceOfTheExtensionAndOfItsServers() throws Exception {
        String next = BASE.replace("hosts = master", "hosts = master\nhosts_backup = backup")
                + "\n[backup]\n127.0.0.1:11311 = \"1:100\"\n";
        assertEquals(List.of(
                "[memcached] hosts_backup: (none) → backup @7",
                "[backup] 127.0.0.1:11311: (none) → 1:100 @15"), differences(BASE, next));
    }

    private List<String> differences(String running, String next) throws Exception {
        return ConfigDifference.between(load("running.ini", running), load("next.ini", next)).stream()
                .map(difference -> difference.describe() + " @" + difference.line())
                .toList();
    }

    private ProxyConfig load(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return ConfigLoader.load(file, dir);
    }
}
