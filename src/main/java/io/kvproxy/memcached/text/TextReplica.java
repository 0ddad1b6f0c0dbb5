package io.kvproxy.memcached.text;

import io.kvproxy.memcached.ReplicaReceiver;
import io.kvproxy.spi.Buffer;
import java.util.ArrayDeque;

/** The backup's one-line answer to a text replica: anything but an error line leaves it consistent. */
final class TextReplica extends ReplicaReceiver<TextReplica> implements TextReplyReceiver {

    TextReplica(ArrayDeque<TextReplica> pool) {
        super(pool);
    }

    @Override
    public boolean expectsValues() {
        return false;
    }

    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        boolean error = TextReplies.isError(buffer, offset, length);
        answered(!error, TextReplies.isAccepted(buffer, offset, length, true),
                error ? "backup answered \"" + buffer.toString(offset, Math.max(0, Math.min(length - 2, 60))) + "\"" : null);
    }
}
