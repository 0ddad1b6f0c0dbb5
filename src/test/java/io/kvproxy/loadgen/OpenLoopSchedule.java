package io.kvproxy.loadgen;

/**
 * When each request is meant to be sent: request {@code k} (from 0) at {@code start + k / rate}, whatever
 * happened to the requests before it. A target that stalls does not slow the schedule down (the load
 * generator would otherwise stop offering load exactly when it hurts, and hide the stall: coordinated
 * omission); the requests that fall due meanwhile are sent late, and their latency counts from the time
 * the schedule meant, so the stall shows in the percentiles as the users of a real service would see it.
 *
 * <p>Computed from {@code k} each time, never accumulated, so that rounding cannot drift the rate.
 */
final class OpenLoopSchedule {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long startNanos;
    private final long requestsPerSecond;

    OpenLoopSchedule(long startNanos, long requestsPerSecond) {
        if (requestsPerSecond < 1) {
            throw new IllegalArgumentException("rate must be at least 1 request per second, got " + requestsPerSecond);
        }
        this.startNanos = startNanos;
        this.requestsPerSecond = requestsPerSecond;
    }

    /** The time request {@code k} is meant to be sent, on the {@link System#nanoTime()} clock. */
    long intendedNanos(long k) {
        // k * 1e9 stays below 2^63 for 9.2e9 requests: hours at any rate this machine reaches.
        return startNanos + Math.multiplyExact(k, NANOS_PER_SECOND) / requestsPerSecond;
    }

    /** How many requests are due at {@code nowNanos}: those numbered 0 up to (excluding) the result. */
    long dueBy(long nowNanos) {
        if (nowNanos < startNanos) {
            return 0;
        }
        // An estimate in floating point, then corrected to the last k whose time has come (a step or two).
        long k = (long) ((double) (nowNanos - startNanos) * requestsPerSecond / NANOS_PER_SECOND);
        while (intendedNanos(k + 1) <= nowNanos) {
            k++;
        }
        while (k >= 0 && intendedNanos(k) > nowNanos) {
            k--;
        }
        return k + 1;
    }

    long requestsPerSecond() {
        return requestsPerSecond;
    }
}
