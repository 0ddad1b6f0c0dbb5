package io.kvproxy.redis;

import io.kvproxy.redis.resp.RespReplyFramer;
import io.kvproxy.redis.resp.RespWriter;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.ClientSession;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProtocolCounter;
import io.kvproxy.spi.Refusal;
import io.kvproxy.spi.ReplyFramer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Redis (RESP2) for one pool: one kind of backend connection, which says the pool's handshake (AUTH
 * {@code redis_auth}, SELECT {@code redis_db}) before anything else, probes with PING, and repairs with
 * DEL (one key) or FLUSHDB (the whole database). Immutable; shared by all workers.
 */
final class RedisProtocol implements Protocol {

    private static final byte[] TOO_MANY_CONNECTIONS = (ProxyReplies.MAX_CLIENTS + "\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEL = {'D', 'E', 'L'};
    private static final byte[] FLUSHDB = {'F', 'L', 'U', 'S', 'H', 'D', 'B'};

    private final RedisAuth auth;
    private final BackendHandshake handshake;

    RedisProtocol(RedisSettings settings) {
        this.auth = new RedisAuth(settings.password());
        this.handshake = new BackendHandshake(settings);
    }

    @Override
    public List<ProtocolCounter> counters() {
        return List.of(RedisCounter.values());
    }

    @Override
    public byte[] refusal(Refusal reason) {
        return switch (reason) {
            case TOO_MANY_CONNECTIONS -> TOO_MANY_CONNECTIONS;
        };
    }

    @Override
    public ClientSession openSession(ClientChannel channel) {
        return new RedisSession(channel, auth);
    }

    @Override
    public int backendKinds() {
        return 1;
    }

    @Override
    public ReplyFramer newReplyFramer(int kind) {
        return new RespReplyFramer();
    }

    @Override
    public int writeHandshake(int kind, Buffer out) {
        handshake.write(out);
        return handshake.requestCount();
    }

    @Override
    public PendingReply newHandshakeReceiver(int kind, ProbeResult result) {
        return new VerdictReceiver(VerdictReceiver.Expected.OK, result);
    }

    @Override
    public void writeProbe(Buffer out) {
        BackendHandshake.writeProbe(out);
    }

    @Override
    public PendingReply newProbeReceiver(ProbeResult result) {
        return new VerdictReceiver(VerdictReceiver.Expected.PONG, result);
    }

    @Override
    public void writeInvalidate(int kind, Buffer out, Buffer key, int offset, int length) {
        writeDelete(out, key, offset, length);
    }

    /** {@code DEL <key>}: the repair of one key, and the replica of a write whose outcome is unknown. */
    static void writeDelete(Buffer out, Buffer key, int offset, int length) {
        RespWriter.writeArrayHeader(out, 2);
        RespWriter.writeBulk(out, DEL);
        RespWriter.writeBulk(out, key, offset, length);
    }

    @Override
    public void writeInvalidateAll(Buffer out) {
        RespWriter.writeArrayHeader(out, 1);
        RespWriter.writeBulk(out, FLUSHDB);
    }

    @Override
    public PendingReply newInvalidateReceiver(int kind, ProbeResult result) {
        return new VerdictReceiver(VerdictReceiver.Expected.DELETED, result);
    }
}
