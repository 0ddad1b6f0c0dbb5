package io.kvproxy.memcached.stats;

import io.kvproxy.memcached.stats.StatTable.Merge;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * The latest sample of every master server's stats groups, and their sum over the pool. Each server's
 * samples are written by the one worker that samples it ({@code TextStatsSampler}) and read by any worker
 * answering a client's {@code stats}; a reader never waits for a backend.
 *
 * <p>A sample is published whole: the writer copies it in between two increments of the slot's sequence
 * number, and a reader copies it out until it sees the same even sequence before and after (a seqlock;
 * the writer never waits and allocates nothing). A sample older than {@link #STALE_AFTER_NANOS}, or whose
 * last attempt failed, is left out of the sums: the reply says how many servers answered.
 */
public final class PoolStats {

    /** How often each server is asked. */
    public static final long SAMPLE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** A server whose last good sample is older than this is not counted (it is out, hung or lost). */
    public static final long STALE_AFTER_NANOS = 3 * SAMPLE_INTERVAL_NANOS;
    private static final long NEVER = Long.MIN_VALUE;

    private final LongSupplier clockNanos;
    private final AtomicInteger resetGeneration = new AtomicInteger();
    private final AtomicLong resetsMissed = new AtomicLong();
    private volatile Slot[][] slots = new Slot[0][];

    /** @param clockNanos the workers' clock */
    public PoolStats(LongSupplier clockNanos) {
        this.clockNanos = clockNanos;
    }

    /** Makes room for {@code servers} master servers; called by each worker as it starts, before it samples. */
    public synchronized void ensureServers(int servers) {
        if (slots.length >= servers) {
            return;
        }
        Slot[][] grown = Arrays.copyOf(slots, servers);
        for (int s = slots.length; s < servers; s++) {
            grown[s] = new Slot[StatTable.ALL.size()];
            for (StatTable table : StatTable.ALL) {
                grown[s][table.id()] = new Slot(table.slots());
            }
        }
        slots = grown;
    }

    /** A good sample of {@code table} from master server {@code server}, taken now. Sampling worker only. */
    public void publish(int server, StatTable table, long[] sample) {
        slots[server][table.id()].publish(sample, clockNanos.getAsLong());
    }

    /** The last attempt to sample {@code table} from {@code server} failed (or it could not be asked). */
    public void failed(int server, StatTable table) {
        slots[server][table.id()].sampledAtNanos = NEVER;
    }

    /** Asks every sampler to reset its servers' counters ({@code stats reset}) on its next round. */
    public void requestReset() {
        resetGeneration.incrementAndGet();
    }

    /** Changes with every {@link #requestReset()}. */
    public int resetGeneration() {
        return resetGeneration.get();
    }

    /** A server did not take a requested reset: it was out, failed to answer, or answered other than RESET. */
    public void resetMissed() {
        resetsMissed.incrementAndGet();
    }

    /** Resets the servers did not take, since start. */
    public long resetsMissed() {
        return resetsMissed.get();
    }

    /** The pool's figures of {@code table}: the fresh samples merged. */
    public Merged merged(StatTable table) {
        long now = clockNanos.getAsLong();
        Slot[][] servers = slots;
        long[] values = new long[table.slots()];
        Arrays.fill(values, StatTable.ABSENT);
        long[] copy = new long[table.slots()];
        int answered = 0;
        long oldestNanos = 0;
        for (Slot[] server : servers) {
            long sampledAt = server[table.id()].copyTo(copy);
            if (sampledAt == NEVER || now - sampledAt > STALE_AFTER_NANOS) {
                continue;
            }
            answered++;
            oldestNanos = Math.max(oldestNanos, now - sampledAt);
            for (int i = 0; i < values.length; i++) {
                values[i] = merge(table.merge(i), values[i], copy[i]);
            }
        }
        return new Merged(values, servers.length, answered, TimeUnit.NANOSECONDS.toMillis(oldestNanos));
    }

    private static long merge(Merge merge, long pool, long server) {
        if (server == StatTable.ABSENT) {
            return pool;
        }
        if (pool == StatTable.ABSENT) {
            return server;
        }
        return merge == Merge.SUM ? pool + server : Math.max(pool, server);
    }

    /**
     * A group's figures over the pool.
     *
     * @param values by slot, {@link StatTable#ABSENT} where no server that answered reported it
     * @param servers master servers in the pool
     * @param answered servers whose sample is in the sums
     * @param oldestSampleMillis age of the oldest sample in the sums
     */
    public record Merged(long[] values, int servers, int answered, long oldestSampleMillis) {
    }

    /** One server's latest sample of one group. */
    private static final class Slot {
        private final AtomicLongArray values;
        private final AtomicInteger sequence = new AtomicInteger();
        private volatile long sampledAtNanos = NEVER;

        Slot(int size) {
            values = new AtomicLongArray(size);
        }

        void publish(long[] sample, long nowNanos) {
            sequence.incrementAndGet();
            for (int i = 0; i < sample.length; i++) {
                values.lazySet(i, sample[i]);
            }
            sampledAtNanos = nowNanos;
            sequence.incrementAndGet();
        }

        /** Copies a whole sample into {@code into}; returns when it was taken. */
        long copyTo(long[] into) {
            while (true) {
                int before = sequence.get();
                if ((before & 1) == 0) {
                    long sampledAt = sampledAtNanos;
                    for (int i = 0; i < into.length; i++) {
                        into[i] = values.get(i);
                    }
                    if (sequence.get() == before) {
                        return sampledAt;
                    }
                }
                Thread.onSpinWait();
            }
        }
    }
}
