package io.kvproxy.memcached.binary;

import io.kvproxy.spi.PendingReply;

/** A receiver of a binary reply; tells the framer which opcode the reply must carry. */
interface BinaryReplyReceiver extends PendingReply {

    /** The (loud) opcode that was sent, which the backend's reply echoes. */
    int sentOpcode();
}
