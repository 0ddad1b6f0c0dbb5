package io.kvproxy.spi;

import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * The requests of one client connection in flight, in request order: a reply is written only when every
 * reply before it has been (pipelining), however its request was spread over backends ({@link
 * RequestParts}), entries are pooled and reused, and the session stops reading while too much is in
 * flight or waiting to be written. Any protocol's session keeps one: each request takes an {@link Entry}
 * when it is parsed, and the entry says when its reply is complete and writes it when its turn comes.
 *
 * <p>Owner: the client connection's worker. Not thread-safe.
 */
public final class ReplyQueue<E extends ReplyQueue.Entry> {

    /** Requests in flight before the session stops reading: bounds memory per connection. */
    static final int MAX_IN_FLIGHT = 1024;
    /** Reply bytes waiting for the client before the session stops reading. */
    static final int MAX_PENDING_OUTPUT = 4 * 1024 * 1024;

    /** One request's place in the queue. */
    public interface Entry {
        /** Whether its reply is complete (or known to be withheld). */
        boolean isDone();

        /** Writes its reply, if the client is to see one; called in request order. */
        void emit(Buffer out);

        /** It leaves the queue and will be reused: give back any large memory. */
        void recycle();
    }

    private final ClientChannel channel;
    private final Buffer out;
    private final Supplier<E> factory;
    private final ArrayDeque<E> queue = new ArrayDeque<>();
    private final ArrayDeque<E> free = new ArrayDeque<>();
    private boolean closed;
    private String closeReason;
    private boolean paused;
    /** The client sent its last byte: close once every whole request it sent has been answered. */
    private boolean inputClosed;
    /** Paused, or resumed and not yet fed again: whole requests may still wait in the input. */
    private boolean inputPending;

    public ReplyQueue(ClientChannel channel, Supplier<E> factory) {
        this.channel = channel;
        this.out = channel.output();
        this.factory = factory;
    }

    /** A pooled entry, appended to the queue; the caller resets it. */
    public E add() {
        E entry = free.pollFirst();
        if (entry == null) {
            entry = factory.get();
        }
        queue.addLast(entry);
        return entry;
    }

    public boolean isHead(E entry) {
        return queue.peekFirst() == entry;
    }

    /** Requests in the queue: taken from the client, reply not yet emitted. */
    public int unanswered() {
        return queue.size();
    }

    /** Whether the session may take another request now. */
    public boolean acceptsInput() {
        return closeReason == null && !closed && queue.size() < MAX_IN_FLIGHT && out.readable() < MAX_PENDING_OUTPUT;
    }

    /** The session read what it could; if it stopped for lack of room, it asks to be resumed later. */
    public void endOfInput() {
        paused = closeReason == null && !closed && !acceptsInput();
        inputPending = paused;
        emitReady();
    }

    /**
     * The client half-closed its connection: what it sent is still answered, in order, and the connection
     * closed after the last reply (memcached does the same), whatever was left of a partial request.
     */
    public void inputClosed() {
        inputClosed = true;
        emitReady();
    }

    /** Read nothing more; close once every reply already due has been written. */
    public void closeWhenDrained(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
    }

    /** The connection is gone: replies still in flight are to be ignored. */
    public void onClose() {
        closed = true;
    }

    public boolean isClosed() {
        return closed;
    }

    public Buffer output() {
        return out;
    }

    /** Writes every reply that is now in order, then closes or resumes reading as due. */
    public void emitReady() {
        E head;
        while ((head = queue.peekFirst()) != null && head.isDone()) {
            queue.pollFirst();
            if (!closed) {
                head.emit(out);
            }
            head.recycle();
            free.addLast(head);
        }
        if (closed) {
            return;
        }
        if (!out.isEmpty()) {
            channel.outputReady();
        }
        if (closeReason != null && queue.isEmpty()) {
            channel.closeAfterFlush(closeReason);
        } else if (paused && acceptsInput()) {
            paused = false;
            channel.resumeInput();
        } else if (inputClosed && !inputPending && queue.isEmpty()) {
            channel.closeAfterFlush("closed by client");
        }
    }
}
