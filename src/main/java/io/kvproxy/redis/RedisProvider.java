package io.kvproxy.redis;

import io.kvproxy.spi.ExtensionSettings;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProtocolProvider;

/**
 * The Redis protocol, as an extension ({@code ext/redis.jar}, listed in its own {@code META-INF/services}):
 * section {@code [redis]}, settings {@code redis_auth} and {@code redis_db}.
 */
public final class RedisProvider implements ProtocolProvider {

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public void validate(ExtensionSettings settings) {
        RedisSettings.read(settings);
    }

    @Override
    public Protocol create(ExtensionSettings settings) {
        return new RedisProtocol(RedisSettings.read(settings));
    }
}
