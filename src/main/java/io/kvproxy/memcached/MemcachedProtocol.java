package io.kvproxy.memcached;

import io.kvproxy.memcached.MemcachedProvider.WireFormat;
import io.kvproxy.memcached.binary.BinaryInvalidate;
import io.kvproxy.memcached.binary.BinaryReplyFramer;
import io.kvproxy.memcached.binary.BinarySession;
import io.kvproxy.memcached.text.TextInvalidate;
import io.kvproxy.memcached.text.TextProbe;
import io.kvproxy.memcached.stats.PoolStats;
import io.kvproxy.memcached.text.TextReplyFramer;
import io.kvproxy.memcached.text.TextStatsSampler;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.ClientSession;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProtocolCounter;
import io.kvproxy.spi.Refusal;
import io.kvproxy.spi.ReplyFramer;
import io.kvproxy.spi.Route;
import io.kvproxy.spi.WorkerTask;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * memcached over text (and, on the same port, binary). Shared by all workers: immutable but for the
 * pool's sampled stats, which are made to be written and read from any worker.
 */
final class MemcachedProtocol implements Protocol {

    /** Backend connection kinds: memcached fixes a connection's protocol at its first byte. */
    static final int TEXT_BACKEND = 0;
    static final int BINARY_BACKEND = BinarySession.BACKEND_KIND;

    /** memcached's own words when it is out of connections (its {@code -c} limit). */
    private static final byte[] TOO_MANY_CONNECTIONS = "ERROR Too many open connections\r\n".getBytes(StandardCharsets.US_ASCII);

    private final WireFormat accepted;
    /** The master servers' sampled stats: written by the workers' samplers, read by every session. */
    private final PoolStats poolStats = new PoolStats(System::nanoTime);

    MemcachedProtocol(WireFormat accepted) {
        this.accepted = accepted;
    }

    @Override
    public byte[] refusal(Refusal reason) {
        return switch (reason) {
            case TOO_MANY_CONNECTIONS -> TOO_MANY_CONNECTIONS;
        };
    }

    @Override
    public List<ProtocolCounter> counters() {
        return List.of(MemcachedCounter.values());
    }

    @Override
    public ClientSession openSession(ClientChannel channel) {
        return new MemcachedSession(channel, accepted, poolStats);
    }

    @Override
    public WorkerTask newWorkerTask(int workerIndex, int workerCount, Route route, long startNanos) {
        return new TextStatsSampler(poolStats, route, workerIndex, workerCount, startNanos);
    }

    @Override
    public int backendKinds() {
        return 2;
    }

    @Override
    public ReplyFramer newReplyFramer(int kind) {
        return switch (kind) {
            case TEXT_BACKEND -> new TextReplyFramer();
            case BINARY_BACKEND -> new BinaryReplyFramer();
            default -> throw new IllegalArgumentException("no backend connection kind " + kind);
        };
    }

    @Override
    public void writeProbe(Buffer out) {
        TextProbe.write(out);
    }

    @Override
    public PendingReply newProbeReceiver(ProbeResult result) {
        return new TextProbe(result);
    }

    @Override
    public void writeInvalidate(int kind, Buffer out, Buffer key, int offset, int length) {
        switch (kind) {
            case TEXT_BACKEND -> TextInvalidate.writeDelete(out, key, offset, length);
            case BINARY_BACKEND -> BinaryInvalidate.writeDelete(out, key, offset, length);
            default -> throw new IllegalArgumentException("no backend connection kind " + kind);
        }
    }

    @Override
    public void writeInvalidateAll(Buffer out) {
        TextInvalidate.writeFlush(out);
    }

    @Override
    public PendingReply newInvalidateReceiver(int kind, ProbeResult result) {
        return switch (kind) {
            case TEXT_BACKEND -> new TextInvalidate(result);
            case BINARY_BACKEND -> new BinaryInvalidate(result);
            default -> throw new IllegalArgumentException("no backend connection kind " + kind);
        };
    }
}
