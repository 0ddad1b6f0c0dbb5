package io.kvproxy.stats;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.CommandKind;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One worker's record of its requests to one server: a {@link LatencyHistogram} per {@link CommandKind}
 * of the answered ones, and a count per kind and {@link BackendFailure} of the failed ones. Owner: the
 * worker holding the connection writes (no lock, no allocation); reporters read.
 */
public final class BackendTimings {

    private static final CommandKind[] KINDS = CommandKind.values();
    private static final BackendFailure[] FAILURES = BackendFailure.values();

    private final LatencyHistogram[] latencies = new LatencyHistogram[KINDS.length];
    /** Indexed by kind × failure. */
    private final AtomicLongArray failures = new AtomicLongArray(KINDS.length * FAILURES.length);

    public BackendTimings() {
        for (int i = 0; i < latencies.length; i++) {
            latencies[i] = new LatencyHistogram();
        }
    }

    /** A reply came {@code nanos} after the request was enqueued. Owner thread only. */
    public void recordReply(CommandKind kind, long nanos) {
        latencies[kind.ordinal()].record(nanos);
    }

    /** The request got no reply. Owner thread only. */
    public void recordFailure(CommandKind kind, BackendFailure failure) {
        int i = kind.ordinal() * FAILURES.length + failure.ordinal();
        failures.lazySet(i, failures.get(i) + 1);
    }

    LatencyHistogram latency(CommandKind kind) {
        return latencies[kind.ordinal()];
    }

    long failures(CommandKind kind, BackendFailure failure) {
        return failures.get(kind.ordinal() * FAILURES.length + failure.ordinal());
    }
}
