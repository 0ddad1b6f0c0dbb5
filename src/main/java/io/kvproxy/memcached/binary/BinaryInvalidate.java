package io.kvproxy.memcached.binary;

import static io.kvproxy.memcached.binary.Binary.*;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.Protocol.ProbeResult;

/**
 * A repair delete on a binary backend connection, queued behind the binary writes it must follow, and
 * its answer: well answered when the server deleted the key or did not hold it.
 */
public final class BinaryInvalidate implements BinaryReplyReceiver {

    private final ProbeResult result;

    public BinaryInvalidate(ProbeResult result) {
        this.result = result;
    }

    public static void writeDelete(Buffer out, Buffer key, int offset, int length) {
        out.put(REQUEST_MAGIC).put((byte) DELETE).putShort(length).put((byte) 0).put((byte) 0).putShort(0)
                .putInt(length).putInt(0).putLong(0).put(key, offset, length);
    }

    @Override
    public int sentOpcode() {
        return DELETE;
    }

    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        int status = buffer.getUnsignedShort(offset + STATUS);
        result.answered(status == SUCCESS || status == KEY_NOT_FOUND);
    }

    @Override
    public void onFailure(BackendFailure failure) {
        result.answered(false);
    }
}
