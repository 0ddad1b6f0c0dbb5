package io.kvproxy.redis.resp;

import io.kvproxy.spi.PendingReply;

/**
 * A receiver of a RESP2 reply; tells the {@link RespReplyFramer} how to cut it. Every reply may come in
 * parts ({@link #onReplyPart}) followed by its last frame ({@link #onReply}): a reply is handed on as soon
 * as some of its values are whole, so that no reply has to fit in the connection's buffer.
 */
public interface RespReplyReceiver extends PendingReply {

    /**
     * True when each frame must be exactly one value: one array header, or one simple, error, integer,
     * bulk or null value (a split MGET's part, whose values the merge places one by one). False, the
     * default, lets the framer hand on as many whole values at once as it has (a reply passed through).
     */
    default boolean framesValues() {
        return false;
    }
}
