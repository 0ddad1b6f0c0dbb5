package io.kvproxy.route;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Failure counts of one backend server address, shared by every worker and every cluster that lists the
 * address (as the original kvproxy's host alias): a server is one thing, however many rings it is on.
 * Written on failures and on the first success after a failure, so the common path only reads.
 */
public final class ServerHealth {

    private final String address;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile boolean online = true;
    /** Times the server was taken out of its rings; written only by the thread that sets {@link #online}. */
    private final AtomicLong ejections = new AtomicLong();
    /** When it was last ejected, in microseconds since the epoch (twemproxy's server_ejected_at); 0 if never. */
    private volatile long ejectedAtMicros;

    public ServerHealth(String address) {
        this.address = address;
    }

    public String address() {
        return address;
    }

    /** A request to this server failed (timeout, refused, closed, unparseable). */
    public void recordFailure() {
        failures.incrementAndGet();
        consecutiveFailures.incrementAndGet();
    }

    /** A good reply arrived: the run of failures is over. */
    public void recordSuccess() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
    }

    public long failures() {
        return failures.get();
    }

    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    public boolean isOnline() {
        return online;
    }

    public void setOnline(boolean online) {
        if (this.online && !online) {
            ejections.incrementAndGet();
        }
        this.online = online;
    }

    /** The health monitor took it out of its rings for its failures, at {@code epochMillis}. */
    public void recordEjection(long epochMillis) {
        ejectedAtMicros = epochMillis * 1000;
        setOnline(false);
    }

    /** How many times the server was taken out of its rings since start. */
    public long ejections() {
        return ejections.get();
    }

    public long ejectedAtMicros() {
        return ejectedAtMicros;
    }
}
