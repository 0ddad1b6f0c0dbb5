package io.kvproxy.memcached;

import io.kvproxy.memcached.MemcachedProvider.WireFormat;
import io.kvproxy.memcached.binary.BinarySession;
import io.kvproxy.memcached.stats.PoolStats;
import io.kvproxy.memcached.text.TextSession;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.ClientSession;
import java.nio.charset.StandardCharsets;

/**
 * A client connection before and after memcached's protocol choice: the first byte decides, as in
 * memcached itself (0x80, the binary request magic, means binary; anything else is text). After that
 * every call goes to the chosen codec's session.
 */
final class MemcachedSession implements ClientSession {

    static final byte BINARY_REQUEST_MAGIC = (byte) 0x80;

    private final ClientChannel channel;
    private final WireFormat accepted;
    private final PoolStats poolStats;
    private ClientSession chosen;
    private boolean refused;

    MemcachedSession(ClientChannel channel, WireFormat accepted, PoolStats poolStats) {
        this.channel = channel;
        this.accepted = accepted;
        this.poolStats = poolStats;
    }

    @Override
    public void onRead(Buffer in) {
        if (chosen == null && !refused) {
            choose(in);
        }
        if (chosen != null) {
            chosen.onRead(in);
        } else {
            in.skip(in.readable());
        }
    }

    private void choose(Buffer in) {
        boolean binary = in.get(in.readIndex()) == BINARY_REQUEST_MAGIC;
        if (binary && accepted == WireFormat.TEXT) {
            BinarySession.refuse(in, channel.output(), "this port serves only the text protocol (proto=text)");
            refuse("binary client on a text-only port");
        } else if (!binary && accepted == WireFormat.BINARY) {
            channel.output().put("CLIENT_ERROR this port serves only the binary protocol (proto=binary)\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            refuse("text client on a binary-only port");
        } else {
            chosen = binary ? new BinarySession(channel, poolStats) : new TextSession(channel, poolStats);
        }
    }

    private void refuse(String reason) {
        refused = true;
        channel.outputReady();
        channel.closeAfterFlush("protocol refused: " + reason);
    }

    @Override
    public boolean wantsInput() {
        return chosen != null ? chosen.wantsInput() : !refused;
    }

    @Override
    public void onInputClosed() {
        if (chosen != null) {
            chosen.onInputClosed();
        } else {
            channel.closeAfterFlush("closed by client");
        }
    }

    @Override
    public int unansweredRequests() {
        return chosen != null ? chosen.unansweredRequests() : 0;
    }

    @Override
    public void onClose() {
        if (chosen != null) {
            chosen.onClose();
        }
    }
}
