package io.kvproxy.memcached.text;

import io.kvproxy.spi.PendingReply;

/** A receiver of a text reply; tells the {@link TextReplyFramer} what shape of reply to expect. */
interface TextReplyReceiver extends PendingReply {

    /** True for retrievals ({@code VALUE … END}); false for one-line replies. */
    boolean expectsValues();

    /** Called by the framer before {@link #onReply} with the number of VALUE blocks in the reply. */
    default void onValueCount(int values) {
    }
}
