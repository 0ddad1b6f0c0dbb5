package io.kvproxy.net;

import io.kvproxy.spi.PendingReply;

/**
 * The requests in flight on one backend connection, oldest first, as parallel ring arrays (no node
 * allocation per request). Each entry has a deadline; an entry whose requester was already told "timeout"
 * stays in place, marked abandoned, until its late reply arrives and is thrown away — so the next reply
 * always matches the next entry. The late reply is framed by the entry's expectation, kept here, never by
 * its receiver, which may have been reused for another request by then. Owned by the backend
 * connection's worker.
 */
final class PendingFifo {

    private PendingReply[] replies;
    private long[] deadlines;
    /** When each entry was enqueued, for the server's latency. */
    private long[] enqueuedNanos;
    /** The framer's {@link io.kvproxy.spi.ReplyFramer#expectation} of each entry, taken when it was sent. */
    private int[] expectations;
    private boolean[] abandoned;
    private int head;
    private int size;
    /** Entries before this offset from the head have already been timed out. */
    private int timedOut;

    PendingFifo(int initialCapacity) {
        replies = new PendingReply[initialCapacity];
        deadlines = new long[initialCapacity];
        enqueuedNanos = new long[initialCapacity];
        expectations = new int[initialCapacity];
        abandoned = new boolean[initialCapacity];
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(PendingReply reply, int expectation, long enqueuedAtNanos, long deadlineNanos) {
        if (size == replies.length) {
            grow();
        }
        int slot = (head + size) & (replies.length - 1);
        replies[slot] = reply;
        deadlines[slot] = deadlineNanos;
        enqueuedNanos[slot] = enqueuedAtNanos;
        expectations[slot] = expectation;
        abandoned[slot] = false;
        size++;
    }

    PendingReply head() {
        return replies[head];
    }

    int headExpectation() {
        return expectations[head];
    }

    long headEnqueuedNanos() {
        return enqueuedNanos[head];
    }

    boolean headAbandoned() {
        return abandoned[head];
    }

    /** Removes the head and returns it. */
    PendingReply poll() {
        PendingReply reply = replies[head];
        replies[head] = null;
        head = (head + 1) & (replies.length - 1);
        size--;
        if (timedOut > 0) {
            timedOut--;
        }
        return reply;
    }

    /** Deadline of the oldest entry not yet timed out, or {@link Long#MAX_VALUE}. */
    long nextDeadline() {
        return timedOut < size ? deadlines[(head + timedOut) & (replies.length - 1)] : Long.MAX_VALUE;
    }

    /**
     * Marks the oldest entry not yet timed out as abandoned and returns its receiver (to be told), or
     * null when no entry is due at {@code nowNanos}. Deadlines are in enqueue order, so the due entries
     * are a prefix.
     */
    PendingReply expireNext(long nowNanos) {
        if (timedOut >= size) {
            return null;
        }
        int slot = (head + timedOut) & (replies.length - 1);
        if (deadlines[slot] - nowNanos > 0) {
            return null;
        }
        timedOut++;
        abandoned[slot] = true;
        return replies[slot];
    }

    private void grow() {
        int capacity = replies.length * 2;
        PendingReply[] newReplies = new PendingReply[capacity];
        long[] newDeadlines = new long[capacity];
        long[] newEnqueued = new long[capacity];
        int[] newExpectations = new int[capacity];
        boolean[] newAbandoned = new boolean[capacity];
        for (int i = 0; i < size; i++) {
            int slot = (head + i) & (replies.length - 1);
            newReplies[i] = replies[slot];
            newDeadlines[i] = deadlines[slot];
            newEnqueued[i] = enqueuedNanos[slot];
            newExpectations[i] = expectations[slot];
            newAbandoned[i] = abandoned[slot];
        }
        replies = newReplies;
        deadlines = newDeadlines;
        enqueuedNanos = newEnqueued;
        expectations = newExpectations;
        abandoned = newAbandoned;
        head = 0;
    }
}
