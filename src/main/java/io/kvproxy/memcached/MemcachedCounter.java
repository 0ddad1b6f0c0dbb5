package io.kvproxy.memcached;

import io.kvproxy.spi.ProtocolCounter;

/**
 * The memcached protocol's own counters, registered with the core by name ({@link
 * MemcachedProtocol#counters()}). Those that mean what memcached's figure of the same name means carry
 * its {@code stats} name, since that is where users and dashboards read them, and {@code stats reset}
 * resets them, as memcached does; the proxy's own carry a {@code kvproxy_} prefix and are never reset.
 */
public enum MemcachedCounter implements ProtocolCounter {
    CMD_GET("cmd_get", "Keys asked for by retrievals (get, gets, gat, gats, mg, binary GET)", true),
    CMD_SET("cmd_set", "Storage requests (set, add, replace, append, prepend, cas, ms)", true),
    CMD_TOUCH("cmd_touch", "Touch requests (touch, gat, gats)", true),
    CMD_FLUSH("cmd_flush", "flush_all requests", true),
    GET_HITS("get_hits", "Keys retrieved that were found", true),
    GET_MISSES("get_misses", "Keys retrieved that were not found", true),
    /** Connections closed because a request line was HTTP (a browser or an HTTP client on the port), as memcached does. */
    HTTP_REFUSED("kvproxy_http_refused", "Connections closed because they sent an HTTP request line", false);

    private final String statName;
    private final String help;
    private final boolean resetByStatsReset;

    MemcachedCounter(String statName, String help, boolean resetByStatsReset) {
        this.statName = statName;
        this.help = help;
        this.resetByStatsReset = resetByStatsReset;
    }

    @Override
    public String statName() {
        return statName;
    }

    @Override
    public String help() {
        return help;
    }

    @Override
    public boolean resetByStatsReset() {
        return resetByStatsReset;
    }
}
