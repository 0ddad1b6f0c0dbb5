package io.kvproxy.spi;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * The backend requests one client request was split into: one per server for a multi-key request
 * (memcached {@code get k1 k2 …}, Redis MGET), one per server for a request every server must see, one
 * for a plain forward. Tracks which backend each part went to, which failed and why, and how many answers
 * are still due, so that the protocol merges the parts' replies into one and hands it to its {@link
 * ReplyQueue} entry, which releases it to the client in request order.
 *
 * <p>Parts are the protocol's own receivers (a subclass of {@link Part}), made by the factory the first
 * time a slot is used and reused after: splitting allocates nothing once warm. Owner: the worker of the
 * client connection; not thread-safe.
 *
 * @param <P> the protocol's part: its receiver of one backend reply
 */
public final class RequestParts<P extends RequestParts.Part> {

    /** One backend request of a split request: where it went and whether it failed. */
    public abstract static class Part implements PendingReply {

        private int index;
        private Backend backend;
        private boolean failed;
        private BackendFailure failure;

        /** Its place among the request's parts, from 0 in the order they were added. */
        public final int index() {
            return index;
        }

        public final Backend backend() {
            return backend;
        }

        /** Whether it failed: no reply ({@link #failure()} says why), or a reply that was an error (failure null). */
        public final boolean failed() {
            return failed;
        }

        public final BackendFailure failure() {
            return failure;
        }

        /** It got no usable answer: {@code failure} when the backend failed, null when it answered with an error. */
        public final void markFailed(BackendFailure failure) {
            this.failed = true;
            this.failure = failure;
        }

        private void reset(int index, Backend backend) {
            this.index = index;
            this.backend = backend;
            failed = false;
            failure = null;
        }
    }

    private final Supplier<P> factory;
    private Part[] parts = new Part[4];
    private int count;
    private int pending;

    /** @param factory makes a part the first time its slot is used */
    public RequestParts(Supplier<P> factory) {
        this.factory = factory;
    }

    /** Forgets every part: the request slot is reused for a new request. */
    public void clear() {
        count = 0;
        pending = 0;
    }

    /** A new part going to {@code backend}, one more answer due; the caller sets its own fields. */
    @SuppressWarnings("unchecked")
    public P add(Backend backend) {
        if (count == parts.length) {
            parts = Arrays.copyOf(parts, count * 2);
        }
        Part part = parts[count];
        if (part == null) {
            part = factory.get();
            parts[count] = part;
        }
        part.reset(count, backend);
        count++;
        pending++;
        return (P) part;
    }

    /** The part already going to {@code backend}, or null: a multi-key request sends each server one part. */
    @SuppressWarnings("unchecked")
    public P partFor(Backend backend) {
        for (int i = 0; i < count; i++) {
            if (parts[i].backend == backend) {
                return (P) parts[i];
            }
        }
        return null;
    }

    public int count() {
        return count;
    }

    @SuppressWarnings("unchecked")
    public P get(int index) {
        if (index >= count) {
            throw new IllegalStateException("part " + index + " of " + count);
        }
        return (P) parts[index];
    }

    /** One more answer to wait for besides the parts' own (a synchronous replica of the request's write). */
    public void expectAnswer() {
        pending++;
    }

    /** A part, or an extra answer, came (or failed). True when it was the last one due: the request is complete. */
    public boolean answered() {
        if (pending == 0) {
            throw new IllegalStateException("an answer beyond the " + count + " parts due");
        }
        return --pending == 0;
    }

    /** Parts that failed, backend failure or error reply. */
    public int failedCount() {
        int failed = 0;
        for (int i = 0; i < count; i++) {
            failed += parts[i].failed ? 1 : 0;
        }
        return failed;
    }

    /** The backend failure of the first part that had one, or null. */
    public BackendFailure firstFailure() {
        for (int i = 0; i < count; i++) {
            if (parts[i].failure != null) {
                return parts[i].failure;
            }
        }
        return null;
    }
}
