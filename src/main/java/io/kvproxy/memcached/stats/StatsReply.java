package io.kvproxy.memcached.stats;

import io.kvproxy.memcached.ServerVersion;
import io.kvproxy.spi.ProxyView;
import io.kvproxy.spi.ProxyView.StatSink;

/**
 * What a client's {@code stats [group]} gets, text or binary alike. The proxy answers for the pool, as
 * memcached's own proxy and mcrouter do:
 * <ul>
 * <li>{@code stats}: the proxy's own figures (connections, {@code cmd_*}, hits and misses: its clients'),
 *     with memcached's names where they mean the same; then the master servers' figures that add up
 *     ({@link StatTable#GENERAL}: items, bytes, evictions, the servers' own traffic…), summed over the
 *     servers whose sample is fresh; then which servers those are ({@code kvproxy_pool_*}).</li>
 * <li>{@code stats items}, {@code stats slabs}: the servers' per-class figures, merged class by class.</li>
 * <li>{@code stats settings}: the proxy's own settings under memcached's names, and the pool's memory.</li>
 * <li>{@code stats reset}: the proxy's memcached-named counters and, on their samplers' next round, the
 *     master servers' counters.</li>
 * </ul>
 * Any other group ({@code sizes}, {@code conns}, {@code detail}, {@code cachedump}…) describes one
 * server's memory or connections, which a pool has no one answer for: it gets memcached's reply to an
 * unknown group. Called on a worker; reads {@link PoolStats}, never waits.
 */
public final class StatsReply {

    /** The outcome of {@link #answer}. */
    public enum Outcome {
        /** The figures went to the sink: end them as the protocol does (END, an empty STAT packet). */
        STATS,
        /** {@code stats reset}: answer RESET (binary: the empty STAT packet alone). */
        RESET,
        /** A group memcached would not know: text {@code ERROR}, binary "Not found". */
        UNKNOWN
    }

    private final ProxyView proxy;
    private final PoolStats pool;

    public StatsReply(ProxyView proxy, PoolStats pool) {
        this.proxy = proxy;
        this.pool = pool;
    }

    /** Answers {@code stats <group>} ({@code group} empty for plain {@code stats}) into {@code sink}. */
    public Outcome answer(String group, StatSink sink) {
        switch (group) {
            case "" -> general(sink);
            case "items" -> pooled(StatTable.ITEMS, sink);
            case "slabs" -> pooled(StatTable.SLABS, sink);
            case "settings" -> settings(sink);
            case "reset" -> {
                proxy.resetStats();
                pool.requestReset();
                return Outcome.RESET;
            }
            default -> {
                return Outcome.UNKNOWN;
            }
        }
        return Outcome.STATS;
    }

    private void general(StatSink sink) {
        proxy.forEachStat((name, value) -> {
            if (name.equals("kvproxy_version")) {
                sink.stat("version", ServerVersion.MEMCACHED);
            }
            sink.stat(name, value);
        });
        PoolStats.Merged merged = pooled(StatTable.GENERAL, sink);
        sink.stat("kvproxy_pool_servers", Integer.toString(merged.servers()));
        sink.stat("kvproxy_pool_servers_answered", Integer.toString(merged.answered()));
        sink.stat("kvproxy_pool_sample_age_ms", Long.toString(merged.oldestSampleMillis()));
        sink.stat("kvproxy_pool_resets_missed", Long.toString(pool.resetsMissed()));
    }

    private void settings(StatSink sink) {
        long[] values = pool.merged(StatTable.GENERAL).values();
        int limit = StatTable.GENERAL.slotOf("limit_maxbytes");
        sink.stat("maxbytes", Long.toUnsignedString(values[limit] == StatTable.ABSENT ? 0 : values[limit]));
        proxy.forEachSetting(sink);
    }

    private PoolStats.Merged pooled(StatTable table, StatSink sink) {
        PoolStats.Merged merged = pool.merged(table);
        long[] values = merged.values();
        for (int slot : table.replyOrder()) {
            if (values[slot] != StatTable.ABSENT) {
                sink.stat(table.name(slot), Long.toUnsignedString(values[slot]));
            }
        }
        return merged;
    }
}
