package io.kvproxy.stats;

import io.kvproxy.spi.Counter;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One worker's counters. Written only by the owning worker ({@code lazySet}: an ordered store, no lock
 * prefix), read by any thread summing them for a report.
 */
public final class WorkerCounters {

    private static final Counter[] COUNTERS = Counter.values();

    private final AtomicLongArray values = new AtomicLongArray(COUNTERS.length);

    /** Owner thread only. */
    public void add(Counter counter, long amount) {
        int i = counter.ordinal();
        values.lazySet(i, values.get(i) + amount);
    }

    public long get(Counter counter) {
        return values.get(counter.ordinal());
    }
}
