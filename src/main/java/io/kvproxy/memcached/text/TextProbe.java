package io.kvproxy.memcached.text;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.Protocol.ProbeResult;

/**
 * A health probe: {@code version}, which every memcached answers at once without touching data. Healthy
 * only when the answer is a {@code VERSION} line: a server that accepts connections but cannot answer is
 * not healthy.
 */
public final class TextProbe implements TextReplyReceiver {

    private static final byte[] REQUEST = {'v', 'e', 'r', 's', 'i', 'o', 'n', '\r', '\n'};
    private static final byte[] VERSION = {'V', 'E', 'R', 'S', 'I', 'O', 'N', ' '};

    private final ProbeResult result;

    public TextProbe(ProbeResult result) {
        this.result = result;
    }

    public static void write(Buffer out) {
        out.put(REQUEST);
    }

    @Override
    public boolean expectsValues() {
        return false;
    }

    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        result.answered(buffer.regionEquals(offset, VERSION));
    }

    @Override
    public void onFailure(BackendFailure failure) {
        result.answered(false);
    }
}
