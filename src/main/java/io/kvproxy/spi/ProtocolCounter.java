package io.kvproxy.spi;

/**
 * A counter an extension registers by name ({@link Protocol#counters()}), kept per worker like the core's
 * {@link Counter}s, counted with {@link ClientChannel#count(ProtocolCounter, long)} and shown by
 * {@code stats} (as {@link #statName()}), on the stats port (prefixed {@code kvproxy_}) and in the
 * metrics ({@code kvproxy_<name>}, labelled with the pool). An extension's enum implements it: the
 * enum's {@link #ordinal()} is the counter's place in the list, so counting is an array store, no lookup.
 */
public interface ProtocolCounter {

    /** Its place in {@link Protocol#counters()}: an enum's own ordinal. */
    int ordinal();

    /** The name {@code stats} shows: the protocol's own name for it where the protocol has one ({@code get_hits}). */
    String statName();

    /** One line saying what it counts, for the metrics' help text. */
    String help();

    /**
     * The name outside the protocol's own {@code stats}, where it stands beside other protocols' figures:
     * the stats port's field and the metric ({@code kvproxy_get_hits}).
     */
    default String proxyName() {
        return statName().startsWith("kvproxy_") ? statName() : "kvproxy_" + statName();
    }

    /** Whether {@code stats reset} counts it from zero again (memcached's own figures); the proxy's accounting is never reset. */
    boolean resetByStatsReset();
}
