package io.kvproxy.memcached;

import io.kvproxy.spi.InvalidSettingException;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProtocolProvider;
import java.util.Map;

/** The memcached protocol, as an extension: section {@code [memcached]}, setting {@code proto}. */
public final class MemcachedProvider implements ProtocolProvider {

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String name() {
        return "memcached";
    }

    @Override
    public Protocol create(Map<String, String> settings) throws InvalidSettingException {
        String proto = settings.getOrDefault("proto", "auto");
        WireFormat accepted = switch (proto) {
            case "auto" -> WireFormat.AUTO;
            case "text" -> WireFormat.TEXT;
            case "binary" -> WireFormat.BINARY;
            default -> throw new InvalidSettingException("proto", "must be auto, text or binary, not '" + proto + "'");
        };
        for (String key : settings.keySet()) {
            if (!key.equals("proto")) {
                throw new InvalidSettingException(key, "unknown key for the memcached protocol");
            }
        }
        return new MemcachedProtocol(accepted);
    }

    /** Which wire formats a port accepts ({@code proto}). */
    enum WireFormat { AUTO, TEXT, BINARY }
}
