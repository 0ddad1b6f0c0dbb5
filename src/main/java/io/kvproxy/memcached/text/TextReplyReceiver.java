package io.kvproxy.memcached.text;

import io.kvproxy.spi.PendingReply;

/**
 * A receiver of a text reply; tells the {@link TextReplyFramer} what shape of reply to expect. A
 * retrieval's receiver gets each VALUE block as a part ({@link #onReplyPart}), then the END line (or one
 * error line instead of any block) as {@link #onReply}. A meta reply comes whole, data block included.
 */
interface TextReplyReceiver extends PendingReply {

    /** True for retrievals ({@code VALUE … END}); false for one-line replies. */
    boolean expectsValues();

    /**
     * A meta reply: one line, but {@code VA <size> …} is followed by a data block of {@code size} bytes and
     * CRLF (mg with v, ma with v). Only for receivers that do not expect values.
     */
    default boolean expectsMetaValue() {
        return false;
    }
}
