package io.kvproxy.spi;

/**
 * A client connection for unit tests and benchmarks, without its socket: replies accumulate in {@link
 * #out}, counters in {@link #counts}, and a close is recorded in {@link #closeReason}. Routing and
 * replication are the test's.
 */
public final class ScriptedChannel implements ClientChannel {

    public final Buffer out = new Buffer(256, 1 << 20);
    public final long[] counts = new long[Counter.values().length];
    public String closeReason;
    private final Route route;
    private final Replicator replicator;
    private final BufferPool bufferPool;

    public ScriptedChannel(Route route, Replicator replicator, BufferPool bufferPool) {
        this.route = route;
        this.replicator = replicator;
        this.bufferPool = bufferPool;
    }

    /** What the client has been sent since the last call. */
    public String sent() {
        String text = out.toString(out.readIndex(), out.readable());
        out.skip(out.readable());
        return text;
    }

    @Override
    public Buffer output() {
        return out;
    }

    @Override
    public void outputReady() {
    }

    @Override
    public void resumeInput() {
    }

    @Override
    public void closeAfterFlush(String reason) {
        closeReason = reason;
    }

    @Override
    public BufferPool bufferPool() {
        return bufferPool;
    }

    @Override
    public Route route() {
        return route;
    }

    @Override
    public Replicator replicator() {
        return replicator;
    }

    @Override
    public ProxyView proxy() {
        throw new UnsupportedOperationException("a scripted client asks nothing of the proxy");
    }

    @Override
    public void count(Counter counter, long amount) {
        counts[counter.ordinal()] += amount;
    }

    @Override
    public long counter(Counter counter) {
        return counts[counter.ordinal()];
    }

    @Override
    public void count(ProtocolCounter counter, long amount) {
    }

    @Override
    public int maxPacketBytes() {
        return 1024 * 1024;
    }
}
