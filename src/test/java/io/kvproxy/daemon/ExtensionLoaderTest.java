package io.kvproxy.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.daemon.ExtensionLoader.ExtensionException;
import io.kvproxy.spi.ProtocolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Loading fails loudly, naming the jar, for every way an extension jar can be wrong. */
@Timeout(60)
class ExtensionLoaderTest {

    @TempDir
    Path dir;

    @Test
    void missingJar() {
        ExtensionException e = assertThrows(ExtensionException.class, () -> ExtensionLoader.load(dir.resolve("gone.jar"), "memcached"));
        assertTrue(e.getMessage().contains("gone.jar: extension jar not found"), e.getMessage());
    }

    @Test
    void jarWithoutProvider() throws IOException {
        Path jar = dir.resolve("empty.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("README"));
            out.write("nothing here".getBytes(StandardCharsets.US_ASCII));
        }
        ExtensionException e = assertThrows(ExtensionException.class, () -> ExtensionLoader.load(jar, "memcached"));
        assertTrue(e.getMessage().contains("empty.jar: no io.kvproxy.spi.ProtocolProvider"), e.getMessage());
    }

    @Test
    void providerBuiltForAnotherSpiVersion() throws Exception {
        Path jar = compileProvider("OldProvider", "return SPI_VERSION + 1;", "memcached");
        ExtensionException e = assertThrows(ExtensionException.class, () -> ExtensionLoader.load(jar, "memcached"));
        assertTrue(e.getMessage().contains("built for SPI version " + (ProtocolProvider.SPI_VERSION + 1) + ", this kvproxy implements version " + ProtocolProvider.SPI_VERSION + ""), e.getMessage());
    }

    @Test
    void aJarWithOneProviderServesAPoolOfAnyName() throws Exception {
        Path jar = compileProvider("RedisProvider", "return SPI_VERSION;", "redis");
        assertEquals("redis", ExtensionLoader.load(jar, "sessions").name());
    }

    @Test
    void aGoodJarLoadsThroughItsOwnClassLoader() throws Exception {
        Path jar = compileProvider("GoodProvider", "return SPI_VERSION;", "thing");
        ProtocolProvider provider = ExtensionLoader.load(jar, "thing");
        assertEquals("thing", provider.name());
        assertNotSame(getClass().getClassLoader(), provider.getClass().getClassLoader());
        // The SPI is shared, so the provider is one of ours to the core.
        assertEquals(ProtocolProvider.class, provider.getClass().getInterfaces()[0]);
    }

    /** Compiles a one-class extension jar against the SPI on the test class path. */
    private Path compileProvider(String className, String versionBody, String name) throws IOException {
        Path source = dir.resolve("src/ext/" + className + ".java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "package ext;\n"
                + "public class " + className + " implements io.kvproxy.spi.ProtocolProvider {\n"
                + "  public int spiVersion() { " + versionBody + " }\n"
                + "  public String name() { return \"" + name + "\"; }\n"
                + "  public void validate(io.kvproxy.spi.ExtensionSettings s) { }\n"
                + "  public io.kvproxy.spi.Protocol create(io.kvproxy.spi.ExtensionSettings s) { throw new UnsupportedOperationException(); }\n"
                + "}\n");
        Path classes = dir.resolve("classes-" + className);
        Files.createDirectories(classes);
        int result = ToolProvider.getSystemJavaCompiler().run(null, null, null,
                "-cp", System.getProperty("java.class.path"), "-d", classes.toString(), source.toString());
        assertEquals(0, result, "test extension did not compile");
        Path jar = dir.resolve(className + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("ext/" + className + ".class"));
            Files.copy(classes.resolve("ext/" + className + ".class"), out);
            out.putNextEntry(new JarEntry("META-INF/services/io.kvproxy.spi.ProtocolProvider"));
            writeLine(out, "ext." + className);
        }
        return jar;
    }

    private static void writeLine(OutputStream out, String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
