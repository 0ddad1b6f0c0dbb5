package io.kvproxy.spi;

/**
 * Finds where one backend reply ends. One instance per backend connection; it may keep state between
 * calls to resume scanning where the bytes ran out.
 */
public interface ReplyFramer {

    /**
     * Length of the complete reply at {@code in}'s read index, or 0 when more bytes are needed.
     *
     * @param expected the request this reply answers (the head of the backend's FIFO)
     * @throws MalformedReplyException when the bytes cannot be a reply to {@code expected}
     */
    int frame(Buffer in, PendingReply expected) throws MalformedReplyException;

    /** Forgets any partial state: the connection was reset. */
    void reset();
}
