package io.kvproxy.stats;

import io.kvproxy.spi.Counter;
import io.kvproxy.spi.ProtocolCounter;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One worker's counters for one pool: the core's {@link Counter}s, then the pool protocol's own ({@link
 * ProtocolCounter}, by ordinal). Written only by the owning worker ({@code lazySet}: an ordered store, no
 * lock prefix), read by any thread summing them for a report.
 */
public final class WorkerCounters {

    private static final int CORE = Counter.values().length;

    private final AtomicLongArray values;

    /** @param protocolCounters how many counters the pool's protocol registers */
    public WorkerCounters(int protocolCounters) {
        values = new AtomicLongArray(CORE + protocolCounters);
    }

    /** Owner thread only. */
    public void add(Counter counter, long amount) {
        add(counter.ordinal(), amount);
    }

    /** Owner thread only. */
    public void add(ProtocolCounter counter, long amount) {
        add(CORE + counter.ordinal(), amount);
    }

    public long get(Counter counter) {
        return values.get(counter.ordinal());
    }

    public long get(ProtocolCounter counter) {
        return values.get(CORE + counter.ordinal());
    }

    private void add(int index, long amount) {
        values.lazySet(index, values.get(index) + amount);
    }
}
