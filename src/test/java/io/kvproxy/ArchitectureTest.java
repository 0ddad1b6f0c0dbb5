package io.kvproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The dependency rules the package layout promises, checked on the sources. */
@Timeout(30)
class ArchitectureTest {

    private static final Path SOURCES = Path.of(System.getProperty("user.dir"), "src/main/java/io/kvproxy");

    private static List<Path> violations(String packageDir, String forbidden) throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES.resolve(packageDir))) {
            return files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
                try {
                    // Code only: comments may name what a package must not depend on.
                    return Files.readAllLines(f).stream().map(String::strip)
                            .filter(line -> !line.startsWith("*") && !line.startsWith("/*") && !line.startsWith("//"))
                            .anyMatch(line -> line.contains(forbidden));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        }
    }

    @Test
    void theCoreNeverNamesTheMemcachedExtension() throws IOException {
        for (String core : new String[] {"config", "daemon", "net", "route", "spi", "stats"}) {
            assertEquals(List.of(), violations(core, "io.kvproxy.memcached"), core + " must reach the protocol only through the SPI");
        }
    }

    @Test
    void theExtensionUsesOnlyTheSpi() throws IOException {
        for (String core : new String[] {"config", "daemon", "net", "route", "stats"}) {
            assertEquals(List.of(), violations("memcached", "io.kvproxy." + core + "."), "memcached must not import io.kvproxy." + core);
        }
    }

    @Test
    void netKnowsNothingOfMemcached() throws IOException {
        assertEquals(List.of(), violations("net", "memcached"));
    }

    @Test
    void theRedisExtensionUsesOnlyTheSpi() throws IOException {
        for (String other : new String[] {"config", "daemon", "net", "route", "stats", "replicate", "memcached"}) {
            assertEquals(List.of(), violations("redis", "io.kvproxy." + other + "."), "redis must not use io.kvproxy." + other);
        }
    }

    @Test
    void nothingElseNamesTheRedisExtension() throws IOException {
        for (String other : new String[] {"config", "daemon", "net", "route", "spi", "stats", "replicate", "memcached"}) {
            assertEquals(List.of(), violations(other, "io.kvproxy.redis"), other + " must reach the protocol only through the SPI");
        }
    }
}
