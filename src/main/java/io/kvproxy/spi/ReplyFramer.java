package io.kvproxy.spi;

/**
 * Finds where one backend reply, or one part of it, ends. One instance per backend connection; it may
 * keep state between calls to resume scanning where the bytes ran out.
 *
 * <p>A framer may hand a long reply on in parts (each {@code VALUE} block of a text multi-get) so that
 * the connection's buffer only ever holds one of them: {@code max_packet} bounds a part, never a reply.
 */
public interface ReplyFramer {

    /**
     * What this framer needs to know of a request to frame its reply, taken when the request is queued.
     * The receiver is not asked again at framing time: once its requester has been answered otherwise
     * (a timeout), the receiver may be reused for a new request while the late reply to the old one is
     * still to come, and that reply must be framed, and thrown away, as the reply to what was sent.
     */
    int expectation(PendingReply request);

    /**
     * Length of the next complete frame at {@code in}'s read index, a whole reply or one part of it (see
     * {@link #endsReply()}), or 0 when more bytes are needed.
     *
     * @param expectation {@link #expectation} of the request this reply answers (the head of the FIFO)
     * @throws MalformedReplyException when the bytes cannot be a reply to that request
     */
    int frame(Buffer in, int expectation) throws MalformedReplyException;

    /**
     * Whether the frame {@link #frame} just returned ends its reply ({@link PendingReply#onReply}) or is a
     * part after which the reply goes on ({@link PendingReply#onReplyPart}).
     */
    default boolean endsReply() {
        return true;
    }

    /**
     * Whether the whole reply just framed ({@code length} bytes at {@code offset}) says the server itself
     * cannot serve now rather than answering the request (Redis: {@code -LOADING}, {@code -BUSY},
     * {@code -OOM}): it still goes to its receiver, and counts as a server error for ejection.
     */
    default boolean isServerFailure(Buffer in, int offset, int length) {
        return false;
    }

    /** Forgets any partial state: the connection was reset. */
    void reset();
}
