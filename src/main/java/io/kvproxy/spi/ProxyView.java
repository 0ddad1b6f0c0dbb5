package io.kvproxy.spi;

/** The proxy's own state, as the protocol reports it to clients. Safe to call from any worker. */
public interface ProxyView {

    /** The original kvproxy {@code status} report, {@code \n}-terminated lines, blank first and last line. */
    String statusReport();

    /** Counters for {@code stats}, in display order: name and value. */
    void forEachStat(StatSink sink);

    /** kvproxy's version string. */
    String version();

    /** A sink for {@link #forEachStat}. */
    @FunctionalInterface
    interface StatSink {
        void stat(String name, String value);
    }
}
