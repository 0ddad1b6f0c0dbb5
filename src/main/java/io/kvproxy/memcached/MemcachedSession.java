package io.kvproxy.memcached;

import io.kvproxy.memcached.MemcachedProvider.WireFormat;
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
    private ClientSession chosen;
    private boolean refused;

    MemcachedSession(ClientChannel channel, WireFormat accepted) {
        this.channel = channel;
        this.accepted = accepted;
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
        if (binary) {
            // The binary codec is not part of this build: say so in words a text client can read, then close.
            refuse("SERVER_ERROR the binary protocol is not served on this port\r\n");
        } else if (accepted == WireFormat.BINARY) {
            refuse("CLIENT_ERROR this port serves only the binary protocol (proto=binary)\r\n");
        } else {
            chosen = new TextSession(channel);
        }
    }

    private void refuse(String message) {
        refused = true;
        channel.output().put(message.getBytes(StandardCharsets.US_ASCII));
        channel.outputReady();
        channel.closeAfterFlush("protocol refused: " + message.trim());
    }

    @Override
    public boolean wantsInput() {
        return chosen != null ? chosen.wantsInput() : !refused;
    }

    @Override
    public void onClose() {
        if (chosen != null) {
            chosen.onClose();
        }
    }
}
