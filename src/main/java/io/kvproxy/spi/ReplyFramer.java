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
     * Length of the next complete frame at {@code in}'s read index, a whole reply or one part of it (see
     * {@link #endsReply()}), or 0 when more bytes are needed.
     *
     * @param expected the request this reply answers (the head of the backend's FIFO)
     * @throws MalformedReplyException when the bytes cannot be a reply to {@code expected}
     */
    int frame(Buffer in, PendingReply expected) throws MalformedReplyException;

    /**
     * Whether the frame {@link #frame} just returned ends its reply ({@link PendingReply#onReply}) or is a
     * part after which the reply goes on ({@link PendingReply#onReplyPart}).
     */
    default boolean endsReply() {
        return true;
    }

    /** Forgets any partial state: the connection was reset. */
    void reset();
}
