package io.kvproxy.redis;

import io.kvproxy.spi.ProtocolCounter;
import java.util.Locale;

/**
 * The Redis protocol's own counters, registered with the core by name ({@link RedisProtocol#counters()}):
 * what a Redis pool's clients asked that the proxy answered with an error of its own, without a server.
 * redis-server has no figure that means the same (its INFO counts one server's view), so every name is
 * the proxy's ({@code redis_} within the pool, {@code kvproxy_redis_} on the stats port and in the
 * metrics), and none is reset: a Redis pool has no {@code stats reset}.
 */
public enum RedisCounter implements ProtocolCounter {
    UNSUPPORTED_COMMANDS("Commands refused as unsupported by a pool (KEYS, SELECT, MULTI, SUBSCRIBE, ...)"),
    UNKNOWN_COMMANDS("Commands redis-server does not know either"),
    AUTH_FAILURES("AUTH requests refused: a wrong password, a malformed AUTH, or AUTH to a pool without redis_auth"),
    NOAUTH_REFUSED("Requests refused because the client had not yet given redis_auth");

    private final String help;

    RedisCounter(String help) {
        this.help = help;
    }

    /** {@code redis_} and the constant's name in lower case: {@code redis_unsupported_commands}. */
    @Override
    public String statName() {
        // Asked by stats and scrapes only, never on the request path.
        return "redis_" + name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String help() {
        return help;
    }

    /** Never: the figures are the proxy's accounting, and a Redis pool has no {@code stats reset}. */
    @Override
    public boolean resetByStatsReset() {
        return false;
    }
}
