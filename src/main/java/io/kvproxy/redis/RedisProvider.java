package io.kvproxy.redis;

import io.kvproxy.spi.ExtensionSettings;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProtocolProvider;

/**
 * The Redis protocol, as an extension: section {@code [redis]}, settings {@code redis_auth} and
 * {@code redis_db}. Its pieces (parser, framer, command table, merge, replies) are complete; its session
 * needs what SPI 4 adds (a handshake on every backend connection and probe, fan-out support, protocol
 * keys validated by the extension). Until then the provider validates a section's keys and refuses to
 * build a protocol, and it is not listed in {@code META-INF/services}, so {@code ext/redis.jar} loads as
 * a jar without a provider: the daemon says so and does not start.
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
        RedisSettings.read(settings);
        throw new IllegalStateException("the redis extension's session is not wired to SPI " + SPI_VERSION + " yet");
    }
}
