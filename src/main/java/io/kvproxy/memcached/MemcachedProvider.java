package io.kvproxy.memcached;

import io.kvproxy.spi.ExtensionSettings;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProtocolProvider;
import java.util.List;

/** The memcached protocol, as an extension: section {@code [memcached]}, setting {@code proto}. */
public final class MemcachedProvider implements ProtocolProvider {

    /** Which wire formats the pool's port accepts: auto (detected per connection), text or binary. */
    private static final String PROTO = "proto";

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String name() {
        return "memcached";
    }

    /** {@code proto}'s values, as the file spells them (case matters, as for the core's keys). */
    private static final List<String> PROTOS = List.of("auto", "text", "binary");

    @Override
    public void validate(ExtensionSettings settings) {
        for (ExtensionSettings.Setting setting : settings.all()) {
            if (!setting.key().equals(PROTO)) {
                settings.refuse(setting.key(), "unknown key");
            } else if (!PROTOS.contains(setting.value())) {
                settings.refuse(PROTO, "expected one of " + String.join(", ", PROTOS) + ", got \"" + setting.value() + "\"");
            }
        }
    }

    @Override
    public Protocol create(ExtensionSettings settings) {
        String proto = settings.value(PROTO, "auto");
        WireFormat accepted = switch (proto) {
            case "auto" -> WireFormat.AUTO;
            case "text" -> WireFormat.TEXT;
            case "binary" -> WireFormat.BINARY;
            default -> throw new IllegalStateException("proto = " + proto + " was not validated");
        };
        return new MemcachedProtocol(accepted);
    }

    /** Which wire formats a port accepts ({@code proto}). */
    enum WireFormat { AUTO, TEXT, BINARY }
}
