package io.kvproxy.spi;

/**
 * Replication of accepted writes to the backup cluster ({@code hosts_backup}), for the calling worker. A
 * replica is the core's object, not the client's: once started it is sent, answered, counted and, if it
 * did not apply, repaired, whether or not the client that made the write is still connected.
 */
public interface Replicator {

    /** Whether the pool has a backup cluster at all. */
    boolean enabled();

    /**
     * A write the master accepted is to be replicated. Returns where to send it: write the request to
     * {@link ReplicaWrite#backend()}'s output, enqueue a receiver there, and have the receiver call
     * {@link ReplicaWrite#applied()} or {@link ReplicaWrite#failed} exactly once. Returns null when it cannot
     * be sent now (the key's backup server is out, or the asynchronous queue is full); it has then been
     * counted and logged, and the key recorded so the backup server is repaired.
     *
     * @param kind the backend connection kind the request is written for
     * @param key the key, whole (prefix included): it is routed on the backup ring
     * @param sync whether the client waits for it ({@code sync_str}); asynchronous replicas are bounded by
     *     {@code async_size}, synchronous ones by the clients waiting
     */
    ReplicaWrite start(int kind, Buffer key, int keyOffset, int keyLength, boolean sync);

    /** One replica in flight: where it goes and how its answer is told. Owned by the worker. */
    interface ReplicaWrite {

        /** The backup server's connection for the replica. */
        Backend backend();

        /**
         * The backup answered and holds nothing the master does not: it took the write, or it did not
         * hold the key (a delete, touch, incr or append of a missing key).
         */
        void applied();

        /** The backup rejected the write or never answered: counted, logged and repaired. */
        void failed(String why);
    }
}
