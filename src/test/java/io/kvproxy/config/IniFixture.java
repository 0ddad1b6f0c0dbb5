package io.kvproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Writes small config files for the loader tests and checks what it says about them. */
final class IniFixture {

    /** Cores the tests claim the machine has, so cpu_affinity results do not depend on the machine. */
    static final int CORES = 6;

    /** The smallest valid extension section and cluster; tests append to it or replace parts of it. */
    static final List<String> MINIMAL_EXTENSION = List.of(
            "[memcached]",
            "extension = memcached.jar",
            "hosts = master",
            "[master]",
            "127.0.0.1:11211 = \"1:100\"");

    private IniFixture() {
    }

    /** Writes {@code lines} as {@code kvproxy.ini} in {@code dir}; line i of the list is line i+1 of the file. */
    static Path write(Path dir, String... lines) throws IOException {
        Path file = dir.resolve("kvproxy.ini");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    /** {@code lines} followed by {@link #MINIMAL_EXTENSION}, which then starts at line {@code lines.length + 1}. */
    static Path writeWithExtension(Path dir, String... lines) throws IOException {
        List<String> all = new ArrayList<>(Arrays.asList(lines));
        all.addAll(MINIMAL_EXTENSION);
        return write(dir, all.toArray(String[]::new));
    }

    static ProxyConfig load(Path file, Path dir) throws ConfigException {
        return ConfigLoader.load(file, dir, MemcachedKeysCheck.INSTANCE, CORES);
    }

    /** Asserts the file is refused with exactly these problems, each given without its {@code FILE} prefix. */
    static void assertProblems(Path file, String... expected) {
        ConfigException refused = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, file.getParent(), MemcachedKeysCheck.INSTANCE, CORES));
        List<String> withFile = Arrays.stream(expected).map(problem -> file + problem).toList();
        assertEquals(withFile, refused.problems());
        assertEquals(String.join("\n", withFile), refused.getMessage());
    }
}
