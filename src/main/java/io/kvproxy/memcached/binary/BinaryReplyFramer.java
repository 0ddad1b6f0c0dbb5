package io.kvproxy.memcached.binary;

import static io.kvproxy.memcached.binary.Binary.*;

import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.MalformedReplyException;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.ReplyFramer;

/**
 * Frames binary replies on one backend connection: a 24-byte header and the body it announces. A reply
 * with the wrong magic or an opcode other than the one sent means the stream is out of step, which is
 * reported as malformed so the connection is reset rather than a reply given to the wrong request.
 */
public final class BinaryReplyFramer implements ReplyFramer {

    /** The opcode sent: its reply must carry the same one. */
    @Override
    public int expectation(PendingReply request) {
        if (!(request instanceof BinaryReplyReceiver receiver)) {
            throw new IllegalStateException("binary framer given " + request.getClass().getName());
        }
        return receiver.sentOpcode();
    }

    @Override
    public int frame(Buffer in, int sentOpcode) throws MalformedReplyException {
        if (in.readable() < HEADER_LENGTH) {
            return 0;
        }
        int base = in.readIndex();
        if (in.get(base) != RESPONSE_MAGIC) {
            throw new MalformedReplyException("bad response magic 0x" + Integer.toHexString(in.get(base) & 0xff));
        }
        int opcode = in.get(base + OPCODE) & 0xff;
        if (opcode != sentOpcode) {
            throw new MalformedReplyException("reply opcode 0x" + Integer.toHexString(opcode) + " to opcode 0x"
                    + Integer.toHexString(sentOpcode));
        }
        long length = HEADER_LENGTH + (in.getInt(base + BODY_LENGTH) & 0xffff_ffffL);
        if (length > in.maxCapacity()) {
            throw new MalformedReplyException("reply of " + length + " bytes is larger than max_packet");
        }
        return in.readable() < length ? 0 : (int) length;
    }

    @Override
    public void reset() {
        // Stateless: every call starts from a header.
    }
}
