package io.kvproxy.stats;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies of one kind of request to one server, seen by one worker: a fixed log-linear array of
 * microsecond buckets (16 linear buckets per power of two, so any bucket is at most 1/16 = 6.25% wide
 * relative to its lower edge), plus the sum of the recorded nanoseconds.
 *
 * <p>Owner: one worker writes ({@link #record}: two ordered stores, no lock, no allocation); any thread
 * reads, by adding it into a {@link LatencySnapshot}. A reader may see a bucket updated before the sum, so
 * a snapshot is consistent to within the requests recorded while it was taken.
 */
public final class LatencyHistogram {

    /** Linear sub-buckets per power of two: 2^{@value}. */
    static final int SUB_BUCKET_BITS = 4;
    static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
    /** The largest value told apart, in microseconds: 2^27 µs ≈ 134 s, longer than any recv_timeout; larger ones land in the last bucket. */
    static final int MAX_EXPONENT = 26;
    /** Buckets: values 0..15 µs one each, then 16 per power of two up to 2^(MAX_EXPONENT + 1). */
    public static final int BUCKETS = (MAX_EXPONENT - SUB_BUCKET_BITS + 2) * SUB_BUCKETS;
    private static final int SUM_NANOS = BUCKETS;

    /** The buckets, then the sum of the recorded nanoseconds. */
    private final AtomicLongArray values = new AtomicLongArray(BUCKETS + 1);

    /** Owner thread only. */
    public void record(long nanos) {
        long clamped = Math.max(0, nanos);
        int bucket = bucketOf(clamped / 1000);
        values.lazySet(bucket, values.get(bucket) + 1);
        values.lazySet(SUM_NANOS, values.get(SUM_NANOS) + clamped);
    }

    /** Adds this histogram's counts into {@code snapshot}; any thread. */
    void addTo(LatencySnapshot snapshot) {
        long[] counts = snapshot.counts();
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += values.get(i);
        }
        snapshot.addSumNanos(values.get(SUM_NANOS));
    }

    /** The bucket of a value in microseconds. */
    static int bucketOf(long micros) {
        if (micros < SUB_BUCKETS) {
            return (int) micros;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(micros);
        if (exponent > MAX_EXPONENT) {
            return BUCKETS - 1;
        }
        int subBucket = (int) (micros >>> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
        return (exponent - SUB_BUCKET_BITS + 1) * SUB_BUCKETS + subBucket;
    }

    /** The smallest value, in microseconds, that falls in {@code bucket}. */
    static long lowerEdgeMicros(int bucket) {
        if (bucket < SUB_BUCKETS) {
            return bucket;
        }
        int exponent = bucket / SUB_BUCKETS + SUB_BUCKET_BITS - 1;
        long subBucket = bucket % SUB_BUCKETS;
        return (SUB_BUCKETS + subBucket) << (exponent - SUB_BUCKET_BITS);
    }

    /** The largest value, in microseconds, that falls in {@code bucket} (the last one has no upper bound; its edge is given). */
    static long upperEdgeMicros(int bucket) {
        return bucket == BUCKETS - 1 ? lowerEdgeMicros(bucket) : lowerEdgeMicros(bucket + 1) - 1;
    }
}
