package io.kvproxy.spi;

/**
 * What the core offers a {@link ClientSession}: its connection's output, routing, and the proxy's own
 * answers. Owned by one worker; not thread-safe.
 */
public interface ClientChannel {

    /** Reply bytes appended here are written to the client at the end of the worker's loop iteration. */
    Buffer output();

    /** Marks the output as having something to send (call after appending to {@link #output()}). */
    void outputReady();

    /** The session buffered input while it did not want more and is now ready: call {@code onRead} again. */
    void resumeInput();

    /** Closes the connection once the output has been written (memcached {@code quit}, or a fatal error). */
    void closeAfterFlush(String reason);

    /**
     * The worker's pool of buffer memory, for the session's own {@link Buffer}s (per-request replies):
     * they are to hold memory only while they hold bytes, like the connection's.
     */
    BufferPool bufferPool();

    /** Routing of keys to backend connections of this worker. */
    Route route();

    /** Replication of this worker's accepted writes to the backup cluster. */
    Replicator replicator();

    /** The proxy's own state, for {@code status} and {@code stats}. */
    ProxyView proxy();

    /** Adds {@code amount} to one of this worker's counters (lock-free; shown by {@code stats} and {@code status}). */
    void count(Counter counter, long amount);

    /** This worker's current value of {@code counter}. */
    long counter(Counter counter);

    /** Adds {@code amount} to one of the protocol's own counters ({@link Protocol#counters()}) of this worker. */
    void count(ProtocolCounter counter, long amount);

    /** The largest request or reply this proxy accepts, in bytes ({@code max_packet}). */
    int maxPacketBytes();
}
