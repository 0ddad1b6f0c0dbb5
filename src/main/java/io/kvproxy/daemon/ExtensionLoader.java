package io.kvproxy.daemon;

import io.kvproxy.spi.ProtocolProvider;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Loads a protocol extension jar from {@code ext_path}. The jar gets a class loader of its own that
 * shares only the SPI (and slf4j, for logging) with the core: the extension can use nothing else of the
 * core, and a class it ships never shadows one of ours.
 */
final class ExtensionLoader {

    private ExtensionLoader() {
    }

    /**
     * The protocol provider of {@code jar} for a pool: the jar's one provider, or, when it holds several,
     * the one named as the pool is.
     *
     * @throws ExtensionException naming the jar: missing, no provider, none for the pool, wrong SPI version
     */
    static ProtocolProvider load(Path jar, String pool) throws ExtensionException {
        if (!Files.isRegularFile(jar)) {
            throw new ExtensionException(jar + ": extension jar not found (build it with 'mvn package')");
        }
        URL url;
        try {
            url = jar.toUri().toURL();
        } catch (IOException e) {
            throw new ExtensionException(jar + ": " + e.getMessage());
        }
        ClassLoader loader = new ExtensionClassLoader(url, ExtensionLoader.class.getClassLoader());
        List<ProtocolProvider> providers = new ArrayList<>();
        try {
            for (ProtocolProvider provider : ServiceLoader.load(ProtocolProvider.class, loader)) {
                if (provider.getClass().getClassLoader() == loader) {
                    providers.add(provider);
                }
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            throw new ExtensionException(jar + ": cannot load its protocol provider: " + e.getMessage());
        }
        if (providers.isEmpty()) {
            throw new ExtensionException(jar + ": no " + ProtocolProvider.class.getName() + " in META-INF/services");
        }
        ProtocolProvider chosen = providers.size() == 1 ? providers.get(0) : null;
        for (ProtocolProvider provider : providers) {
            if (chosen == null && provider.name().equals(pool)) {
                chosen = provider;
            }
        }
        if (chosen == null) {
            throw new ExtensionException(jar + ": provides the protocols " + providers.stream().map(ProtocolProvider::name).toList()
                    + "; name the pool [" + pool + "] after the one it serves");
        }
        if (chosen.spiVersion() != ProtocolProvider.SPI_VERSION) {
            throw new ExtensionException(jar + ": built for SPI version " + chosen.spiVersion()
                    + ", this kvproxy implements version " + ProtocolProvider.SPI_VERSION);
        }
        return chosen;
    }

    /** Child-first for the extension's own classes; parent only for the JDK, the SPI and slf4j. */
    static final class ExtensionClassLoader extends URLClassLoader {

        private static final String[] SHARED = {"io.kvproxy.spi.", "org.slf4j."};

        private final ClassLoader core;

        ExtensionClassLoader(URL jar, ClassLoader core) {
            super("kvproxy-extension", new URL[] {jar}, ClassLoader.getPlatformClassLoader());
            this.core = core;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            for (String prefix : SHARED) {
                if (name.startsWith(prefix)) {
                    return core.loadClass(name);
                }
            }
            return super.loadClass(name, resolve);
        }
    }

    /** The extension cannot be used; the message names the jar. */
    static final class ExtensionException extends Exception {
        ExtensionException(String message) {
            super(message);
        }
    }
}
