package io.kvproxy.spi;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A backend connection for unit tests: keeps the bytes written to it and the receivers enqueued, in
 * order, until the test answers them; {@link #available} says whether requests may be sent.
 */
public final class ScriptedBackend implements Backend {

    public final Buffer out = new Buffer(256, 1 << 20);
    public final ArrayDeque<PendingReply> fifo = new ArrayDeque<>();
    public boolean available = true;

    @Override
    public boolean isAvailable() {
        return available;
    }

    @Override
    public Buffer output() {
        return out;
    }

    @Override
    public void enqueue(PendingReply reply) {
        fifo.add(reply);
    }

    @Override
    public String address() {
        return "scripted";
    }

    /** The bytes written since the last call. */
    public String sent() {
        String text = out.toString(out.readIndex(), out.readable());
        out.skip(out.readable());
        return text;
    }

    /** Answers every request in flight, in order: a reply of no bytes, or a timeout. */
    public void answerAll(boolean ok) {
        List<PendingReply> replies = new ArrayList<>(fifo);
        fifo.clear();
        for (PendingReply reply : replies) {
            if (ok) {
                reply.onReply(null, 0, 0);
            } else {
                reply.onFailure(BackendFailure.TIMEOUT);
            }
        }
    }
}
