package io.kvproxy.spi;

/**
 * A protocol's own background work on one worker, beside serving clients (memcached: sampling the
 * backends' {@code stats}). It runs on the worker's thread between requests, so it may use the worker's
 * backend connections as a session does: write whole requests to {@link Backend#output()} and {@link
 * Backend#enqueue} their receivers, which keeps every connection a plain FIFO. It must never wait.
 */
public interface WorkerTask {

    /** When {@link #run} is next due, on the worker's clock (nanoseconds). */
    long nextDeadlineNanos();

    /** Called on the worker's thread once {@link #nextDeadlineNanos()} has come. */
    void run(long nowNanos);
}
