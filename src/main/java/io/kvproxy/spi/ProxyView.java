package io.kvproxy.spi;

/** The proxy's own state, as the protocol reports it to clients. Safe to call from any worker. */
public interface ProxyView {

    /** The original kvproxy {@code status} report, {@code \n}-terminated lines, blank first and last line. */
    String statusReport();

    /**
     * The proxy's own figures for {@code stats}, in display order: name and value, the pool protocol's own
     * counters ({@link Protocol#counters()}) under their names among them. Those that mean what memcached's
     * figure of that name means have its name; the rest are prefixed {@code kvproxy_} (kvproxy's own
     * version is {@code kvproxy_version}).
     */
    void forEachStat(StatSink sink);

    /** The proxy's settings that memcached's {@code stats settings} names ({@code maxconns}, {@code tcpport}…). */
    void forEachSetting(StatSink sink);

    /**
     * {@code stats reset}: the protocol's counters that ask for it ({@link ProtocolCounter#resetByStatsReset})
     * and the connection totals count from zero again. Gauges and the proxy's own accounting (the core's
     * {@link Counter}s, the {@code status} report) are left alone.
     */
    void resetStats();

    /** kvproxy's version string. */
    String version();

    /** A sink for {@link #forEachStat}. */
    @FunctionalInterface
    interface StatSink {
        void stat(String name, String value);
    }
}
