package io.kvproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.spi.ProtocolProvider;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dependency rules the package layout promises, checked on the sources, and the promise that the core
 * holds no protocol's bytes, checked on the compiled classes.
 */
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

    /** Packages of protocol extensions: everything else under io.kvproxy is the core. */
    private static final List<String> EXTENSIONS = List.of("io/kvproxy/memcached/", "io/kvproxy/redis/");

    /**
     * What only a protocol writes: memcached text and binary-text replies, RESP error and status replies,
     * and the line ending both use. A string constant of a core class holding one is a protocol's reply
     * made by the core.
     */
    private static final List<String> PROTOCOL_TOKENS = List.of("\r\n", "SERVER_ERROR", "CLIENT_ERROR", "ERROR ", "END\r",
            "STORED", "VALUE ", "NOT_FOUND", "EXISTS", "DELETED", "TOUCHED", "VERSION ", "STAT ", "-ERR", "+OK", "-NOAUTH", "+PONG");

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");

    @Test
    void theCoreHoldsNoProtocolBytes() throws IOException, URISyntaxException {
        List<String> found = new ArrayList<>();
        int scanned = scanClasses(name -> EXTENSIONS.stream().noneMatch(name::startsWith), found);
        assertTrue(scanned > 50, "core classes not found: " + scanned);
        assertEquals(List.of(), found, "protocol bytes in the core: the protocol must make them");
    }

    @Test
    void theScanFindsTheBytesWhereTheyBelong() throws IOException, URISyntaxException {
        List<String> found = new ArrayList<>();
        scanClasses(name -> name.startsWith("io/kvproxy/memcached/"), found);
        assertTrue(found.stream().anyMatch(line -> line.endsWith("holds \"SERVER_ERROR\"")), found.toString());
        assertTrue(found.stream().anyMatch(line -> line.endsWith("holds \"\\r\\n\"")), found.toString());
    }

    /** Adds each protocol token in a string constant of the compiled classes {@code chosen} takes; returns how many classes it read. */
    private static int scanClasses(Predicate<String> chosen, List<String> found) throws IOException, URISyntaxException {
        Path classes = Path.of(ProtocolProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        int scanned = 0;
        try (Stream<Path> files = Files.walk(classes.resolve("io/kvproxy"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(file).toString().replace('\\', '/');
                if (!chosen.test(name)) {
                    continue;
                }
                scanned++;
                for (String constant : stringConstants(Files.readAllBytes(file))) {
                    if (IDENTIFIER.matcher(constant).matches()) {
                        continue; // a name (an enum constant's: CLIENT_ERRORS), not bytes: a reply has a delimiter
                    }
                    for (String token : PROTOCOL_TOKENS) {
                        if (constant.contains(token)) {
                            found.add(name + ": " + quoted(constant) + " holds " + quoted(token));
                        }
                    }
                }
            }
        }
        return scanned;
    }

    private static String quoted(String text) {
        return "\"" + text.replace("\r", "\\r").replace("\n", "\\n") + "\"";
    }

    /** The string literals of a class file: its constant pool's CONSTANT_String entries. */
    private static List<String> stringConstants(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        in.readInt(); // magic
        in.readUnsignedShort(); // minor version
        in.readUnsignedShort(); // major version
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        List<Integer> strings = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 8 -> strings.add(in.readUnsignedShort());
                case 7, 16, 19, 20 -> in.readUnsignedShort();
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++; // a long or double takes two slots
                }
                default -> throw new IllegalStateException("constant pool tag " + tag + " at entry " + i);
            }
        }
        List<String> literals = new ArrayList<>(strings.size());
        for (int index : strings) {
            literals.add(utf8[index]);
        }
        return literals;
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
