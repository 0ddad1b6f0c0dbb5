package io.kvproxy.net;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.ClientSession;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ReplyFramer;
import io.kvproxy.spi.Route;
import io.kvproxy.spi.WorkerTask;

/**
 * The protocol of {@link LineServer} for the handshake tests: one connection kind, replies one line each,
 * healthy when they start with {@code +}; an optional one-line handshake ({@code AUTH …}); the probe is
 * {@code PING}. Clients and repairs are not part of these tests. A worker task may be given, to send
 * requests over the worker's own backend connections.
 */
final class LineProtocol implements Protocol {

    /** Makes the worker task for worker 0, given its route and start time. */
    interface TaskFactory {
        WorkerTask make(Route route, long startNanos);
    }

    private final String handshake;
    private final TaskFactory task;

    /** @param handshake the handshake line without its newline, or null for none */
    LineProtocol(String handshake, TaskFactory task) {
        this.handshake = handshake;
        this.task = task;
    }

    @Override
    public int writeHandshake(int kind, Buffer out) {
        if (handshake == null) {
            return 0;
        }
        out.putAscii(handshake).putAscii("\r\n");
        return 1;
    }

    @Override
    public PendingReply newHandshakeReceiver(int kind, ProbeResult result) {
        return new Judge(result);
    }

    @Override
    public void writeProbe(Buffer out) {
        out.putAscii("PING\r\n");
    }

    @Override
    public PendingReply newProbeReceiver(ProbeResult result) {
        return new Judge(result);
    }

    @Override
    public WorkerTask newWorkerTask(int workerIndex, int workerCount, Route route, long startNanos) {
        return task == null ? null : task.make(route, startNanos);
    }

    @Override
    public ReplyFramer newReplyFramer(int kind) {
        return new ReplyFramer() {
            @Override
            public int expectation(PendingReply request) {
                return 0;
            }

            @Override
            public int frame(Buffer in, int expectation) {
                int newline = in.indexOf((byte) '\n', in.readIndex(), in.writeIndex());
                return newline < 0 ? 0 : newline + 1 - in.readIndex();
            }

            @Override
            public void reset() {
            }
        };
    }

    @Override
    public int backendKinds() {
        return 1;
    }

    @Override
    public ClientSession openSession(ClientChannel channel) {
        throw new UnsupportedOperationException("no clients in the handshake tests");
    }

    @Override
    public void writeInvalidate(int kind, Buffer out, Buffer key, int offset, int length) {
        throw new UnsupportedOperationException("no repairs in the handshake tests");
    }

    @Override
    public void writeInvalidateAll(Buffer out) {
        throw new UnsupportedOperationException("no repairs in the handshake tests");
    }

    @Override
    public PendingReply newInvalidateReceiver(int kind, ProbeResult result) {
        throw new UnsupportedOperationException("no repairs in the handshake tests");
    }

    /** Healthy when the line starts with {@code +}; a failure is not. */
    private record Judge(ProbeResult result) implements PendingReply {
        @Override
        public void onReply(Buffer buffer, int offset, int length) {
            result.answered(buffer.get(offset) == '+');
        }

        @Override
        public void onFailure(BackendFailure failure) {
            result.answered(false);
        }
    }
}
