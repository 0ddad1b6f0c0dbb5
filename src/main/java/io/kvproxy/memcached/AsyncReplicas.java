package io.kvproxy.memcached;

import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.Counter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accounting for asynchronous replica writes of one client connection: each worker may have its share of
 * {@code async_size} in flight on its own backup connections; a write that finds no room is dropped,
 * and a write the backup rejects or never answers has failed. Both are counted (shown by {@code status}
 * and {@code stats}) and logged, at most once a second — never silently lost.
 */
public final class AsyncReplicas {

    private static final Logger log = LoggerFactory.getLogger(AsyncReplicas.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

    private final ClientChannel channel;

    public AsyncReplicas(ClientChannel channel) {
        this.channel = channel;
    }

    /** Takes a place for one replica write; false (and counted as dropped) when the worker's share is full. */
    public boolean reserve() {
        if (channel.counter(Counter.ASYNC_QUEUED) >= channel.route().asyncLimit()) {
            channel.count(Counter.ASYNC_DROPPED, 1);
            report("async replication queue full (async_size): write dropped");
            return false;
        }
        channel.count(Counter.ASYNC_QUEUED, 1);
        channel.count(Counter.REPLICATED, 1);
        return true;
    }

    /** The backup answered a replica write; {@code accepted} says whether it took it. */
    public void answered(boolean accepted) {
        channel.count(Counter.ASYNC_QUEUED, -1);
        if (!accepted) {
            channel.count(Counter.ASYNC_FAILED, 1);
            report("async replication: backup rejected a write");
        }
    }

    /** A replica write got no answer (timeout, connection lost, or at stop). */
    public void failed(String why) {
        channel.count(Counter.ASYNC_QUEUED, -1);
        channel.count(Counter.ASYNC_FAILED, 1);
        report("async replication: write not delivered: " + why);
    }

    /** A replica write could not even be sent: no backup server is available for its key. */
    public void unsent() {
        channel.count(Counter.REPLICATED, 1);
        channel.count(Counter.ASYNC_FAILED, 1);
        report("async replication: no backup server available for a write");
    }

    private void report(String what) {
        long now = System.nanoTime();
        long last = lastLogNanos.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
            log.warn("{} (this worker so far: {} dropped, {} failed; further messages within 1 s suppressed)", what,
                    channel.counter(Counter.ASYNC_DROPPED), channel.counter(Counter.ASYNC_FAILED));
        }
    }
}
