package io.kvproxy.spi;

/** The receiver of one backend reply. Implemented by the protocol, called on the owning worker. */
public interface PendingReply {

    /**
     * The reply arrived: {@code length} bytes at {@code offset} of {@code buffer}. The bytes are valid only
     * during this call (the backend connection owns the buffer): copy what is needed.
     */
    void onReply(Buffer buffer, int offset, int length);

    /** No reply will come: the request timed out, or the server could not be reached. */
    void onFailure(BackendFailure failure);
}
