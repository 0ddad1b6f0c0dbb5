package io.kvproxy.spi;

/**
 * A configured protocol: makes the per-connection objects the core drives. Shared by all workers, so it
 * must be immutable; the objects it makes belong to the worker that asked for them.
 */
public interface Protocol {

    /**
     * The protocol's own counters, in {@link ProtocolCounter#ordinal()} order (an enum's {@code values()}),
     * shown beside the core's; none by default.
     */
    default java.util.List<ProtocolCounter> counters() {
        return java.util.List.of();
    }

    /**
     * What a client the core turns away is told before its connection is closed (memcached: {@code ERROR
     * Too many open connections}). Called on a worker, on the rare refusal only; the bytes are not changed
     * by the core, so a constant may be returned. Empty: the connection is only closed.
     */
    default byte[] refusal(Refusal reason) {
        return new byte[0];
    }

    /** A session for a newly accepted client connection, owned by that connection's worker. */
    ClientSession openSession(ClientChannel channel);

    /**
     * How many kinds of backend connection the protocol uses; every worker keeps one connection of each
     * kind to every server. (memcached fixes a connection's protocol at its first byte, so text and
     * binary clients need separate backend connections.)
     */
    int backendKinds();

    /** A reply framer for one backend connection of {@code kind}, owned by that connection's worker. */
    ReplyFramer newReplyFramer(int kind);

    /**
     * Writes the requests a new backend connection of {@code kind} sends before any other (Redis: AUTH,
     * SELECT), and returns how many it wrote; each gets one reply. memcached has none: 0, the default.
     *
     * <p>The connection takes no request until every reply was judged healthy by {@link
     * #newHandshakeReceiver}; requests enqueued meanwhile wait, unsent. A reply judged unhealthy, or none
     * within {@code recv_timeout}, is a failure of the connection (counted as a server error, logged, held
     * against the server's health, retried later), and a probe whose handshake fails has failed.
     */
    default int writeHandshake(int kind, Buffer out) {
        return 0;
    }

    /**
     * The receiver of every reply to {@link #writeHandshake} of a connection of {@code kind}, one after the
     * other, telling the core whether each step succeeded (a failure: not). Only asked for when {@link
     * #writeHandshake} wrote something; made once per connection, so it may be reused for each reply.
     */
    default PendingReply newHandshakeReceiver(int kind, ProbeResult result) {
        throw new IllegalStateException(getClass().getName() + " writes no handshake");
    }

    /** The connection kind probes use: the probe runs this kind's handshake, then {@link #writeProbe}. */
    int PROBE_KIND = 0;

    /**
     * Writes a request that any healthy backend answers quickly with one reply (memcached: {@code version}),
     * used to probe servers that are out of the ring before they rejoin. Sent on a fresh connection of
     * {@link #PROBE_KIND}, after that kind's handshake.
     */
    void writeProbe(Buffer out);

    /** A receiver for the reply to {@link #writeProbe}, telling the core whether the server answered well. */
    PendingReply newProbeReceiver(ProbeResult result);

    /**
     * Writes a request that deletes {@code key} on a server (memcached: {@code delete <key>}, or a binary
     * DELETE), for a backend connection of {@code kind}, used to repair a server that may hold a stale copy.
     * Its answer goes to {@link #newInvalidateReceiver} of the same kind.
     */
    void writeInvalidate(int kind, Buffer out, Buffer key, int offset, int length);

    /**
     * Writes a request that empties a server (memcached: {@code flush_all}) on a connection of kind 0,
     * when a repair lost track of keys.
     */
    void writeInvalidateAll(Buffer out);

    /**
     * A receiver for the answer to {@link #writeInvalidate} (or, kind 0, {@link #writeInvalidateAll}) on a
     * backend connection of {@code kind}: healthy when the server deleted the key or did not hold it.
     */
    PendingReply newInvalidateReceiver(int kind, ProbeResult result);

    /**
     * The protocol's background work on worker {@code workerIndex} of {@code workerCount}, which routes
     * through {@code route} (that worker's backend connections); null when it has none. Called on the
     * worker's thread before it serves anyone.
     */
    default WorkerTask newWorkerTask(int workerIndex, int workerCount, Route route, long startNanos) {
        return null;
    }

    /** Where a probe's verdict goes. */
    @FunctionalInterface
    interface ProbeResult {
        void answered(boolean healthy);
    }
}
