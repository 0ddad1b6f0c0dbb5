package io.kvproxy.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LatencyHistogramTest {

    /** A bucket's width relative to its lower edge: the worst a reported percentile can be above the true one. */
    private static final double RESOLUTION = 1.0 / LatencyHistogram.SUB_BUCKETS;

    @Test
    void bucketsTileTheRangeWithoutGapsAndWithinTheResolution() {
        assertEquals(0, LatencyHistogram.lowerEdgeMicros(0));
        for (int b = 0; b < LatencyHistogram.BUCKETS - 1; b++) {
            long lower = LatencyHistogram.lowerEdgeMicros(b);
            long upper = LatencyHistogram.upperEdgeMicros(b);
            assertEquals(b, LatencyHistogram.bucketOf(lower), "lower edge of bucket " + b);
            assertEquals(b, LatencyHistogram.bucketOf(upper), "upper edge of bucket " + b);
            assertEquals(upper + 1, LatencyHistogram.lowerEdgeMicros(b + 1), "bucket " + (b + 1) + " starts where " + b + " ends");
            assertTrue(upper - lower + 1 <= Math.max(1, lower * RESOLUTION), "bucket " + b + " [" + lower + ", " + upper + "] too wide");
        }
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucketOf(Long.MAX_VALUE / 1000));
        assertEquals(1L << (LatencyHistogram.MAX_EXPONENT + 1), LatencyHistogram.lowerEdgeMicros(LatencyHistogram.BUCKETS - 1) + (1L << (LatencyHistogram.MAX_EXPONENT - LatencyHistogram.SUB_BUCKET_BITS)));
    }

    @Test
    void uniformDistributionHasItsExactPercentilesWithinTheResolution() {
        LatencyHistogram histogram = new LatencyHistogram();
        long[] micros = new long[100_000];
        for (int i = 0; i < micros.length; i++) {
            micros[i] = i + 1;
        }
        assertPercentilesMatch(histogram, micros);
        LatencySnapshot snapshot = snapshotOf(histogram);
        assertEquals(100_000, snapshot.count());
        assertEquals(100_000L * 100_001 / 2 * 1000, snapshot.sumNanos());
        assertBetween(50_000, snapshot.percentileMicros(0.5));
        assertBetween(99_000, snapshot.percentileMicros(0.99));
        assertBetween(99_900, snapshot.percentileMicros(0.999));
    }

    @Test
    void exponentialDistributionHasItsExactPercentilesWithinTheResolution() {
        Random random = new Random(42);
        long[] micros = new long[200_000];
        for (int i = 0; i < micros.length; i++) {
            micros[i] = (long) (-Math.log(1 - random.nextDouble()) * 300); // mean 300 µs
        }
        assertPercentilesMatch(new LatencyHistogram(), micros);
    }

    @Test
    void aSlowTailShowsInP999AndNotInP50() {
        LatencyHistogram histogram = new LatencyHistogram();
        long[] micros = new long[10_000];
        Arrays.fill(micros, 0, 9_980, 120);
        Arrays.fill(micros, 9_980, 10_000, 40_000);
        assertPercentilesMatch(histogram, micros);
        LatencySnapshot snapshot = snapshotOf(histogram);
        assertBetween(120, snapshot.percentileMicros(0.5));
        assertBetween(120, snapshot.percentileMicros(0.99));
        assertBetween(40_000, snapshot.percentileMicros(0.999));
    }

    @Test
    void constantValueIsEveryPercentile() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int i = 0; i < 1000; i++) {
            histogram.record(7_000);
        }
        LatencySnapshot snapshot = snapshotOf(histogram);
        assertEquals(7, snapshot.percentileMicros(0.5));
        assertEquals(7, snapshot.percentileMicros(0.999));
        assertEquals(7, snapshot.percentileMicros(1));
    }

    @Test
    void mergedSnapshotIsTheHistogramOfTheUnion() {
        LatencyHistogram fast = new LatencyHistogram();
        LatencyHistogram slow = new LatencyHistogram();
        LatencyHistogram both = new LatencyHistogram();
        Random random = new Random(7);
        for (int i = 0; i < 5_000; i++) {
            long a = 1_000L * random.nextInt(500);
            long b = 1_000L * (10_000 + random.nextInt(90_000));
            fast.record(a);
            slow.record(b);
            both.record(a);
            both.record(b);
        }
        LatencySnapshot merged = new LatencySnapshot();
        merged.add(fast);
        LatencySnapshot slowSnapshot = snapshotOf(slow);
        merged.add(slowSnapshot);
        LatencySnapshot expected = snapshotOf(both);
        assertEquals(expected.count(), merged.count());
        assertEquals(expected.sumNanos(), merged.sumNanos());
        for (double q : new double[] {0.1, 0.5, 0.9, 0.99, 0.999}) {
            assertEquals(expected.percentileMicros(q), merged.percentileMicros(q), "quantile " + q);
        }
    }

    @Test
    void countAtMostCountsWholeBucketsWithinTheBound() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (long micros : new long[] {5, 15, 100, 990, 1_000, 250_000, 10_000_000}) {
            histogram.record(micros * 1_000);
        }
        LatencySnapshot snapshot = snapshotOf(histogram);
        assertEquals(0, snapshot.countAtMost(4));
        assertEquals(2, snapshot.countAtMost(15));
        // 100 lies in [100, 103]: only a bound that takes in the whole bucket counts it.
        assertEquals(2, snapshot.countAtMost(100));
        assertEquals(3, snapshot.countAtMost(103));
        // 990 lies in [960, 991]: in; 1000 in [992, 1023], which ends above the bound: out.
        assertEquals(4, snapshot.countAtMost(1_000));
        assertEquals(5, snapshot.countAtMost(1_024));
        assertEquals(6, snapshot.countAtMost(300_000));
        assertEquals(7, snapshot.countAtMost(Long.MAX_VALUE));
    }

    @Test
    void emptyHistogramReportsZeroAndOutOfRangeQuantilesAreRefused() {
        LatencySnapshot snapshot = snapshotOf(new LatencyHistogram());
        assertEquals(0, snapshot.count());
        assertEquals(0, snapshot.percentileMicros(0.99));
        assertThrows(IllegalArgumentException.class, () -> snapshot.percentileMicros(0));
        assertThrows(IllegalArgumentException.class, () -> snapshot.percentileMicros(1.5));
    }

    @Test
    void negativeAndHugeDurationsLandInTheEndBuckets() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(-5);
        histogram.record(TimeUnit.HOURS.toNanos(2));
        LatencySnapshot snapshot = snapshotOf(histogram);
        assertEquals(0, snapshot.percentileMicros(0.5));
        assertEquals(LatencyHistogram.lowerEdgeMicros(LatencyHistogram.BUCKETS - 1), snapshot.percentileMicros(1));
    }

    /** Records {@code micros} and checks p50, p90, p99 and p999 against the exact ones from the sorted values. */
    private static void assertPercentilesMatch(LatencyHistogram histogram, long[] micros) {
        for (long value : micros) {
            histogram.record(value * 1_000);
        }
        long[] sorted = micros.clone();
        Arrays.sort(sorted);
        LatencySnapshot snapshot = snapshotOf(histogram);
        for (double q : new double[] {0.5, 0.9, 0.99, 0.999}) {
            long exact = sorted[(int) Math.ceil(q * sorted.length) - 1];
            assertBetween(exact, snapshot.percentileMicros(q));
        }
    }

    /** {@code reported} is the upper edge of the bucket of {@code exact}: no lower, at most one bucket width higher. */
    private static void assertBetween(long exact, long reported) {
        assertTrue(reported >= exact && reported <= exact + Math.max(0, (long) (exact * RESOLUTION)),
                "reported " + reported + " µs for an exact " + exact + " µs");
    }

    private static LatencySnapshot snapshotOf(LatencyHistogram histogram) {
        LatencySnapshot snapshot = new LatencySnapshot();
        snapshot.add(histogram);
        return snapshot;
    }
}
