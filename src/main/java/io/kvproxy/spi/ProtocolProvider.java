package io.kvproxy.spi;

/**
 * Entry point of a protocol extension, found with {@link java.util.ServiceLoader} in the extension's jar.
 * One instance per loaded jar; {@link #validate} runs on every check of the file, {@link #create} once for
 * each pool of the extension, on the thread reading the file, before the pool serves anyone.
 */
public interface ProtocolProvider {

    /** The SPI version this core implements. An extension built against another version is refused. */
    int SPI_VERSION = 4;

    /** The SPI version the extension was built against; must equal {@link #SPI_VERSION}. */
    int spiVersion();

    /** The protocol's name, which is also the name of its config section ({@code memcached}). */
    String name();

    /**
     * Checks the keys of one pool section that the core does not know (memcached: {@code proto}), called
     * while the whole file is validated, at start, for {@code kvproxy -t} and on every reload. Refuses each
     * unknown key and each bad value through {@link ExtensionSettings#refuse}, every one of them, so that
     * they are all reported at once with the core's own problems of the file.
     */
    void validate(ExtensionSettings settings);

    /**
     * Builds the protocol for one pool section, from keys {@link #validate} accepted. One instance per
     * pool: pools of the same extension share nothing through it.
     */
    Protocol create(ExtensionSettings settings);
}
