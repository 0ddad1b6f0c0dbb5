package io.kvproxy.net;

import java.util.concurrent.atomic.AtomicInteger;

/** The {@code max_clients} budget, shared by all workers; touched only on accept and close. */
public final class ClientSlots {

    /** A reload may change it; clients already connected stay. */
    private volatile int limit;
    private final AtomicInteger used = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong accepted = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();

    public ClientSlots(int limit) {
        this.limit = limit;
    }

    public void setLimit(int limit) {
        this.limit = limit;
    }

    public int limit() {
        return limit;
    }

    public int used() {
        return used.get();
    }

    /** Connections accepted since start. */
    public long accepted() {
        return accepted.get();
    }

    /** Connections refused because {@code max_clients} was reached. */
    public long refused() {
        return refused.get();
    }

    boolean tryAcquire() {
        while (true) {
            int current = used.get();
            if (current >= limit) {
                refused.incrementAndGet();
                return false;
            }
            if (used.compareAndSet(current, current + 1)) {
                accepted.incrementAndGet();
                return true;
            }
        }
    }

    void release() {
        used.decrementAndGet();
    }
}
