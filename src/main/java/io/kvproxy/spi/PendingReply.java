package io.kvproxy.spi;

/** The receiver of one backend reply. Implemented by the protocol, called on the owning worker. */
public interface PendingReply {

    /**
     * The reply arrived, or its last part did: {@code length} bytes at {@code offset} of {@code buffer}.
     * The bytes are valid only during this call (the backend connection owns the buffer): copy what is
     * needed.
     */
    void onReply(Buffer buffer, int offset, int length);

    /**
     * One part of a reply that goes on (a {@code VALUE} block before the {@code END} of a text retrieval),
     * handed on as soon as it is framed so that no reply has to fit in one buffer. Any number of parts
     * come before the one {@link #onReply}; the bytes are valid only during this call. Only receivers
     * whose protocol's framer splits replies get parts.
     */
    default void onReplyPart(Buffer buffer, int offset, int length) {
        throw new IllegalStateException(getClass().getName() + " does not take replies in parts");
    }

    /**
     * Whether the receiver can take another part now. False while its client is behind on reading what
     * it was already given: the connection then stops reading from this server (the requests behind this
     * reply wait for it in any case), asks again on every turn of the worker's loop, and after {@code
     * recv_timeout} of asking in vain delivers the rest of the reply regardless.
     */
    default boolean acceptsPart() {
        return true;
    }

    /**
     * No reply will come, or no more of it: the request timed out, or the server could not be reached.
     * Parts already delivered stand; nothing follows this call.
     */
    void onFailure(BackendFailure failure);

    /**
     * What kind of request this is a reply to, for the server's latency and error metrics. Asked once per
     * request on the worker when the reply (or failure) comes, so it must not allocate.
     */
    default CommandKind commandKind() {
        return CommandKind.OTHER;
    }
}
