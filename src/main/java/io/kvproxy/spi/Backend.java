package io.kvproxy.spi;

/**
 * This worker's connection to one backend server: a FIFO of requests, each answered by exactly one
 * reply. Write the request's bytes to {@link #output()}, then {@link #enqueue} its {@link PendingReply}.
 */
public interface Backend {

    /**
     * Whether requests can be sent now. False while the server is known to be down (its connection
     * failed and is waiting to retry): answer the client with an error instead of enqueueing.
     */
    boolean isAvailable();

    /** Where the request bytes go. Only whole requests, each followed at once by {@link #enqueue}. */
    Buffer output();

    /**
     * Registers the request just written. {@code reply} gets exactly one call, {@link
     * PendingReply#onReply} or {@link PendingReply#onFailure}, and none after that, even if the server
     * answers late.
     */
    void enqueue(PendingReply reply);

    /** {@code host:port}, for messages. */
    String address();
}
