package io.kvproxy.redis;

import io.kvproxy.spi.InvalidSettingException;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProtocolProvider;
import java.util.Map;

/**
 * The Redis protocol, as an extension: section {@code [redis]}, settings {@code redis_auth} and
 * {@code redis_db}. Its pieces (parser, framer, command table, merge, replies) are complete; its session
 * needs what SPI 4 adds (a handshake on every backend connection and probe, fan-out support, protocol
 * keys validated by the extension). Until then the provider validates a section's keys and refuses to
 * build a protocol, and it is not listed in {@code META-INF/services}, so {@code ext/redis.jar} loads as
 * a jar without a provider: the daemon says so and does not start.
 */
public final class RedisProvider implements ProtocolProvider {

    /** The SPI version whose features the Redis session needs. */
    static final int REQUIRED_SPI_VERSION = 4;

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public Protocol create(Map<String, String> settings) throws InvalidSettingException {
        RedisSettings.parse(settings);
        throw new InvalidSettingException("extension", "the redis extension needs SPI " + REQUIRED_SPI_VERSION
                + "; this kvproxy implements SPI " + SPI_VERSION);
    }
}
