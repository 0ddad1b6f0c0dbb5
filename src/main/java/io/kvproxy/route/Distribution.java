package io.kvproxy.route;

import java.util.Locale;
import java.util.Optional;

/**
 * How a cluster spreads keys over its servers (the {@code distribution} setting): twemproxy's three,
 * plus the original kvproxy's crc32 ring so that an existing kvproxy deployment keeps its key placement.
 */
public enum Distribution {
    /** twemproxy/libmemcached weighted ketama: md5 points, 160 per server at equal weights. */
    KETAMA,
    /** Key hash modulo the total live weight: nearly every key moves when a server leaves. */
    MODULA,
    /** A random live server per lookup; only sensible for read replicas. */
    RANDOM,
    /** The original kvproxy ring: {@code weight} crc32 points per server, keys hashed with crc32. */
    KVPROXY;

    private static final Distribution[] ALL = values();

    private final String configName = name().toLowerCase(Locale.ROOT);

    /** The config name, e.g. {@code "ketama"}. */
    public String configName() {
        return configName;
    }

    /** Lookup by config name (exact, lower case); empty for an unknown name. */
    public static Optional<Distribution> byConfigName(String name) {
        for (Distribution distribution : ALL) {
            if (distribution.configName.equals(name)) {
                return Optional.of(distribution);
            }
        }
        return Optional.empty();
    }
}
