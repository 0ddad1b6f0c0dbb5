package io.kvproxy.spi;

import java.util.Map;

/**
 * Entry point of a protocol extension, found with {@link java.util.ServiceLoader} in the extension's jar.
 * One instance per process; {@link #create} is called once, before any worker starts.
 */
public interface ProtocolProvider {

    /** The SPI version this core implements. An extension built against another version is refused. */
    int SPI_VERSION = 3;

    /** The SPI version the extension was built against; must equal {@link #SPI_VERSION}. */
    int spiVersion();

    /** The protocol's name, which is also the name of its config section ({@code memcached}). */
    String name();

    /**
     * Builds the protocol for one extension section.
     *
     * @param settings the section's protocol-specific keys (e.g. {@code proto}), already trimmed
     * @throws InvalidSettingException naming the key when a value is not acceptable
     */
    Protocol create(Map<String, String> settings) throws InvalidSettingException;
}
