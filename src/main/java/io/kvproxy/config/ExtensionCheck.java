package io.kvproxy.config;

import io.kvproxy.spi.ExtensionSettings;
import java.nio.file.Path;

/**
 * How the loader has a pool's own keys checked: the keys of a pool section the core does not know go, with
 * their lines, to the pool's extension ({@link io.kvproxy.spi.ProtocolProvider#validate}), and what it
 * refuses is reported with the file's other problems. The daemon's implementation loads the jar (once);
 * the config package never names an extension.
 */
@FunctionalInterface
public interface ExtensionCheck {

    /**
     * Checks {@code settings}, the keys of pool {@code pool} the core does not know, refusing each bad one
     * through {@link ExtensionSettings#refuse}.
     *
     * @param jar the extension jar, under {@code ext_path}
     * @throws UnusableExtensionException when the jar cannot be used at all (missing, no provider, wrong
     *     SPI version): reported on the pool's {@code extension} line
     */
    void check(Path jar, String pool, ExtensionSettings settings) throws UnusableExtensionException;

    /** The extension jar cannot be used; the message names it and says why. */
    final class UnusableExtensionException extends Exception {

        private static final long serialVersionUID = 1L;

        public UnusableExtensionException(String message) {
            super(message);
        }
    }
}
