package io.kvproxy.stats;

/**
 * The merged counts of some {@link LatencyHistogram}s (one server's, over every worker; or every
 * server's), taken by a reporter thread: percentiles for {@code stats}, cumulative counts for Prometheus'
 * {@code le} buckets. Not thread-safe: one reporter builds and reads it.
 */
public final class LatencySnapshot {

    private final long[] counts = new long[LatencyHistogram.BUCKETS];
    private long sumNanos;

    /** Adds {@code histogram}'s counts. */
    public void add(LatencyHistogram histogram) {
        histogram.addTo(this);
    }

    /** Adds another snapshot's counts (one server's into a pool's total). */
    public void add(LatencySnapshot other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        sumNanos += other.sumNanos;
    }

    long[] counts() {
        return counts;
    }

    void addSumNanos(long nanos) {
        sumNanos += nanos;
    }

    public long count() {
        long count = 0;
        for (long bucket : counts) {
            count += bucket;
        }
        return count;
    }

    public long sumNanos() {
        return sumNanos;
    }

    /**
     * The value at quantile {@code q} (0 &lt; q ≤ 1), in microseconds: the upper edge of the bucket holding
     * the ⌈q·count⌉-th smallest value, so never below the true value and at most 6.25% above it. 0 when
     * nothing was recorded.
     */
    public long percentileMicros(double q) {
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile " + q + " is not in (0, 1]");
        }
        long count = count();
        if (count == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * count));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return LatencyHistogram.upperEdgeMicros(i);
            }
        }
        throw new IllegalStateException("rank " + rank + " beyond count " + count);
    }

    /**
     * How many values are at most {@code boundMicros}: the buckets whose upper edge is within the bound
     * (so a bound inside a bucket leaves that bucket out; Prometheus' {@code le} is honoured to the
     * histogram's resolution).
     */
    public long countAtMost(long boundMicros) {
        long count = 0;
        for (int i = 0; i < counts.length && LatencyHistogram.upperEdgeMicros(i) <= boundMicros; i++) {
            count += counts[i];
        }
        return count;
    }
}
