package io.kvproxy.loadgen;

import org.HdrHistogram.Histogram;

/**
 * What one {@link LoadWorker}'s connections measured, on that worker's thread: latency (intended send time
 * to the reply's last byte) and send lag (intended to actual send time: how late the generator itself was),
 * of the requests meant to be sent within the measured window, in nanoseconds, in HdrHistogram's histograms.
 * A request still unanswered when the run gives up is recorded with its latency at that moment, never dropped.
 */
final class RunRecorder {
    private static final long HIGHEST_NANOS = 60_000_000_000L;

    final Histogram latency = new Histogram(HIGHEST_NANOS, 3);
    final Histogram sendLag = new Histogram(HIGHEST_NANOS, 3);
    private final long measureFromNanos;
    private final long measureUntilNanos;
    long answered;
    long errors;
    long unanswered;
    long hits;
    long lastAnswerNanos;

    RunRecorder(long measureFromNanos, long measureUntilNanos) {
        this.measureFromNanos = measureFromNanos;
        this.measureUntilNanos = measureUntilNanos;
    }

    private boolean measured(long intendedNanos) {
        return intendedNanos >= measureFromNanos && intendedNanos < measureUntilNanos;
    }

    void sent(long intendedNanos, long nowNanos) {
        if (measured(intendedNanos)) {
            sendLag.recordValue(Math.min(Math.max(0, nowNanos - intendedNanos), HIGHEST_NANOS));
        }
    }

    void answered(long intendedNanos, long nowNanos, int replyHits, boolean error) {
        if (measured(intendedNanos)) {
            latency.recordValue(Math.min(Math.max(0, nowNanos - intendedNanos), HIGHEST_NANOS));
            answered++;
            hits += replyHits;
            errors += error ? 1 : 0;
            lastAnswerNanos = nowNanos;
        }
    }

    void unanswered(long intendedNanos, long nowNanos) {
        if (measured(intendedNanos)) {
            latency.recordValue(Math.min(Math.max(0, nowNanos - intendedNanos), HIGHEST_NANOS));
            unanswered++;
        }
    }
}
