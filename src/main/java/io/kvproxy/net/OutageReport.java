package io.kvproxy.net;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * When the health monitor speaks of a server that is out: one line when it is ejected, one when it
 * rejoins, and while it stays out a summary at most once a {@link #SUMMARY_INTERVAL_NANOS} (why, for how
 * long, how many probes failed), the first at its first failed probe, never a line per probe. Owner: the
 * pool's health monitor thread.
 */
final class OutageReport {

    static final long SUMMARY_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** By server number: when it went out, when its last line was logged, the probes failed since. */
    private long[] outSinceNanos = new long[0];
    private long[] lastLineNanos = new long[0];
    private int[] failedProbes = new int[0];
    /** Whether it is out as far as this report knows: ejected, or first probed out (a reload added it out). */
    private boolean[] out = new boolean[0];

    /** It was ejected (its line is logged by the caller) at {@code nowNanos}. */
    void ejected(int server, long nowNanos) {
        grow(server);
        outSinceNanos[server] = nowNanos;
        // The first failed probe says why it stays out; the next summary is a minute after that.
        lastLineNanos[server] = nowNanos - SUMMARY_INTERVAL_NANOS;
        failedProbes[server] = 0;
        out[server] = true;
    }

    /** It rejoined: the next outage is reported afresh. */
    void rejoined(int server) {
        grow(server);
        out[server] = false;
    }

    /**
     * A probe of the out server failed at {@code nowNanos}: true when a summary is due, which the caller
     * logs then (the count starts again from there).
     */
    boolean probeFailed(int server, long nowNanos) {
        grow(server);
        if (!out[server]) {
            // Out without an ejection here (a reload added it out of the ring): its outage starts now.
            ejected(server, nowNanos);
        }
        failedProbes[server]++;
        if (nowNanos - lastLineNanos[server] < SUMMARY_INTERVAL_NANOS) {
            return false;
        }
        lastLineNanos[server] = nowNanos;
        return true;
    }

    /** Probes failed since the last line about it. */
    int failedProbes(int server) {
        return failedProbes[server];
    }

    /** How long it has been out, in seconds; 0 for one not known to be out. */
    long outForSeconds(int server, long nowNanos) {
        grow(server);
        return out[server] ? TimeUnit.NANOSECONDS.toSeconds(nowNanos - outSinceNanos[server]) : 0;
    }

    /** A summary was logged: the count of failed probes starts again. */
    void summarized(int server) {
        failedProbes[server] = 0;
    }

    private void grow(int server) {
        if (server >= outSinceNanos.length) {
            int size = Math.max(server + 1, outSinceNanos.length * 2);
            outSinceNanos = Arrays.copyOf(outSinceNanos, size);
            lastLineNanos = Arrays.copyOf(lastLineNanos, size);
            failedProbes = Arrays.copyOf(failedProbes, size);
            out = Arrays.copyOf(out, size);
        }
    }
}
