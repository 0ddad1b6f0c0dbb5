package io.kvproxy.memcached.binary;

import static io.kvproxy.memcached.binary.Binary.*;

import io.kvproxy.memcached.ReplicaReceiver;
import io.kvproxy.spi.Buffer;
import java.util.ArrayDeque;

/** The backup's answer to a binary replica, judged by its status. */
final class BinaryReplica extends ReplicaReceiver<BinaryReplica> implements BinaryReplyReceiver {

    /** Item not stored: an append or prepend of a key the backup does not hold, which leaves it nothing stale. */
    private static final int ITEM_NOT_STORED = 0x0005;

    private int opcode;

    BinaryReplica(ArrayDeque<BinaryReplica> pool) {
        super(pool);
    }

    /** The replica's opcode, which tells the framer how its reply looks. */
    void opcode(int sentOpcode) {
        this.opcode = sentOpcode;
    }

    @Override
    public int sentOpcode() {
        return opcode;
    }

    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        int status = buffer.getUnsignedShort(offset + STATUS);
        boolean applied = status == SUCCESS || status == KEY_NOT_FOUND || status == ITEM_NOT_STORED;
        answered(applied, status == SUCCESS || status == KEY_NOT_FOUND,
                applied ? null : "backup answered status 0x" + Integer.toHexString(status));
    }
}
