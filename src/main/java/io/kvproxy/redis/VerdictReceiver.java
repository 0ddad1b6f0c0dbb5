package io.kvproxy.redis;

import io.kvproxy.redis.resp.RespReplyReceiver;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.Protocol.ProbeResult;

/**
 * The reply to a request the proxy sends for itself, judged healthy or not and told to the core: a
 * handshake step (AUTH, SELECT: {@code +OK}), a probe (PING: {@code +PONG}), a repair (DEL: an integer;
 * FLUSHDB: {@code +OK}). A reply that comes in parts (an array) is never one of those, so it is unhealthy.
 * Made once per connection or probe and reused for each reply; owned by that connection's worker.
 */
final class VerdictReceiver implements RespReplyReceiver {

    /** What a healthy reply is. */
    enum Expected { OK, PONG, DELETED }

    private final Expected expected;
    private final ProbeResult result;
    private boolean inParts;

    VerdictReceiver(Expected expected, ProbeResult result) {
        this.expected = expected;
        this.result = result;
    }

    @Override
    public void onReplyPart(Buffer buffer, int offset, int length) {
        inParts = true;
    }

    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        boolean healthy = !inParts && switch (expected) {
            case OK -> BackendHandshake.accepted(buffer, offset, length);
            case PONG -> BackendHandshake.healthy(buffer, offset, length);
            // DEL answers how many keys it removed; FLUSHDB, the repair of a whole server, +OK.
            case DELETED -> buffer.get(offset) == ':' || BackendHandshake.accepted(buffer, offset, length);
        };
        inParts = false;
        result.answered(healthy);
    }

    @Override
    public void onFailure(BackendFailure failure) {
        inParts = false;
        result.answered(false);
    }
}
