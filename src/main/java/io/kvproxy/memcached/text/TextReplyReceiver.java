package io.kvproxy.memcached.text;

import io.kvproxy.spi.PendingReply;

/**
 * A receiver of a text reply; tells the {@link TextReplyFramer} what shape of reply to expect. A
 * retrieval's receiver gets each VALUE block as a part ({@link #onReplyPart}), then the END line (or one
 * error line instead of any block) as {@link #onReply}. Any other receiver gets one line, or a meta
 * {@code VA} line with its data block, whole.
 */
interface TextReplyReceiver extends PendingReply {

    /** True for retrievals ({@code VALUE … END}); false for one-line replies. */
    boolean expectsValues();

    /** True for {@code stats}: a retrieval whose parts are {@code STAT} lines rather than VALUE blocks. */
    default boolean expectsStatLines() {
        return false;
    }
}
