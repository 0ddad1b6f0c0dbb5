package io.kvproxy.net;

import io.kvproxy.route.ServerHealth;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.MalformedReplyException;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ReplyFramer;
import io.kvproxy.stats.BackendTimings;
import io.kvproxy.stats.ServerCounters;
import io.kvproxy.stats.ServerCounters.ServerField;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's persistent connection to one backend server: a pipelined FIFO in which every request gets
 * exactly one reply. Requests are appended to {@link #output()} by sessions of the same worker and sent
 * at the end of the loop iteration; replies are framed by the protocol's {@link ReplyFramer} and handed
 * to the head of the FIFO, a long reply part by part as it arrives (so {@code in} holds at most one
 * part, {@code max_packet} plus a line, whatever a client asked for).
 *
 * <p>Owner: the worker. Buffers: {@code in} is owned here and lent to {@link PendingReply#onReply} for the
 * length of the call; {@code out} is appended to by sessions and drained here.
 *
 * <p>Counters (twemproxy's per-server stats): {@code requests} counts what is enqueued, {@code responses}
 * whole replies; the bytes are what the socket took and gave. {@code in_queue} is the requests not yet
 * written in full and the bytes waiting in {@code out}; {@code out_queue} the requests written and
 * awaiting their reply, with the bytes written since the connection last had nothing outstanding.
 *
 * <p>Handshake: a protocol may have requests every new connection sends first ({@link
 * Protocol#writeHandshake}: Redis AUTH, SELECT). They go out from {@code handshake}, a pooled buffer that
 * holds memory only while they are being sent, and head the FIFO; what sessions enqueue meanwhile waits
 * in {@code out}, unsent, until every handshake reply was judged healthy, so no request ever reaches a
 * server the handshake did not prepare.
 */
final class BackendConnection implements Backend {

    private static final Logger log = LoggerFactory.getLogger(BackendConnection.class);
    private static final long FIRST_RETRY_NANOS = 100_000_000L;
    private static final int INITIAL = 16 * 1024;
    private static final int RETAINED = 1024 * 1024;

    /**
     * Connection states. Legal moves: CONNECTING → HANDSHAKING | CONNECTED | DOWN; HANDSHAKING → CONNECTED
     * | DOWN; CONNECTED → DOWN; DOWN → CONNECTING; any → CLOSED (shutdown). Requests may be enqueued in
     * CONNECTING and HANDSHAKING (sent once connected and the handshake passed) and CONNECTED.
     */
    enum State {
        CONNECTING, HANDSHAKING, CONNECTED, DOWN, CLOSED;

        boolean canMoveTo(State next) {
            return switch (this) {
                case CONNECTING -> next == HANDSHAKING || next == CONNECTED || next == DOWN || next == CLOSED;
                case HANDSHAKING, CONNECTED -> next == DOWN || next == CLOSED || (this == HANDSHAKING && next == CONNECTED);
                case DOWN -> next == CONNECTING || next == CLOSED;
                case CLOSED -> false;
            };
        }
    }

    private final Worker worker;
    private final InetSocketAddress address;
    private final String addressText;
    private final ServerHealth health;
    /** This worker's latencies and failures of this server's requests, by command kind. */
    private final BackendTimings timings;
    private final ServerCounters counters;
    /** This server's number in the pool's directory: its row in {@link #counters}. */
    private final int server;
    private final ReplyFramer framer;
    private final Protocol protocol;
    private final int kind;
    /** The handshake requests of the current connection, while they are being sent. */
    private final Buffer handshake;
    /** Judges each handshake reply ({@link #onHandshakeAnswer}); made at the first connect that has a handshake. */
    private PendingReply handshakeReceiver;
    /** Handshake replies still to come, and whether every one so far was healthy. */
    private int handshakePending;
    private boolean handshakeHealthy;
    /** These three a reload may change ({@link #applySettings}); on the worker's thread. */
    private long recvTimeoutNanos;
    private long connectTimeoutNanos;
    private long maxRetryNanos;
    private final Buffer in;
    private final Buffer out;
    private final PendingFifo fifo = new PendingFifo(256);

    private State state = State.DOWN;
    private SocketChannel channel;
    private SelectionKey key;
    /** CONNECTING: when the connect gives up. DOWN: when to try again. */
    private long stateDeadlineNanos;
    private long retryDelayNanos = FIRST_RETRY_NANOS;
    /** Connects that failed in a row: the log speaks of the first and of the one that succeeds, not of each. */
    private int failedConnects;
    /** Connected at least once: the first connect is a lifecycle line, a reconnect is the health monitor's to tell. */
    private boolean everConnected;
    /** When bytes last arrived: a server still streaming replies is slow, not hung. */
    private long lastProgressNanos;
    private boolean dirty;
    /**
     * Reading stopped because the reply at the head cannot take another part yet (its client is behind),
     * since {@code pausedSinceNanos}: backpressure from a slow client, not a slow server.
     */
    private boolean paused;
    private long pausedSinceNanos;
    /** The head reply that waited {@code recv_timeout} in vain: the rest of it is delivered without asking. */
    private PendingReply unthrottled;
    /** Requests enqueued whose bytes are not all written yet, and the bytes written that await replies. */
    private int unsentRequests;
    private long awaitingBytes;
    /** The queue gauges as last added to {@link #counters}, so that an update adds only the change. */
    private long shownInQueue;
    private long shownInQueueBytes;
    private long shownOutQueue;
    private long shownOutQueueBytes;

    BackendConnection(Worker worker, InetSocketAddress address, ServerHealth health, BackendTimings timings,
                      ServerCounters counters, int server, Protocol protocol, int kind,
                      long recvTimeoutNanos, long connectTimeoutNanos, long maxRetryNanos, int maxPacketBytes) {
        this.worker = worker;
        this.address = address;
        this.addressText = health.address();
        this.health = health;
        this.timings = timings;
        this.counters = counters;
        this.server = server;
        this.protocol = protocol;
        this.kind = kind;
        this.framer = protocol.newReplyFramer(kind);
        this.handshake = new Buffer(worker.bufferPool(), 256, 64 * 1024);
        this.recvTimeoutNanos = recvTimeoutNanos;
        this.connectTimeoutNanos = connectTimeoutNanos;
        this.maxRetryNanos = maxRetryNanos;
        // A backend connection carries the pipelined traffic of many clients: what it grows to under
        // load (up to RETAINED) is what it will need again on the next loop, so it is kept.
        this.in = new Buffer(INITIAL, Math.min(RETAINED, maxPacketBytes + 64 * 1024), maxPacketBytes + 64 * 1024);
        this.out = new Buffer(INITIAL, RETAINED, Integer.MAX_VALUE - 64);
    }

    @Override
    public boolean isAvailable() {
        return state == State.CONNECTED || state == State.CONNECTING || state == State.HANDSHAKING;
    }

    /** A reload changed the timeouts: requests sent from now on (and the next connect) use them. */
    void applySettings(LiveSettings settings) {
        recvTimeoutNanos = settings.recvTimeoutNanos();
        connectTimeoutNanos = settings.connectTimeoutNanos();
        maxRetryNanos = settings.maxRetryNanos();
        retryDelayNanos = Math.min(retryDelayNanos, maxRetryNanos);
    }

    @Override
    public Buffer output() {
        return out;
    }

    @Override
    public void enqueue(PendingReply reply) {
        if (!isAvailable()) {
            throw new IllegalStateException("enqueue on " + addressText + " in state " + state);
        }
        long now = worker.nanoTime();
        // Not sent before the connection is up (and through its handshake): its time starts at the connect's deadline at the latest.
        long start = state == State.CONNECTED ? now : Math.max(now, stateDeadlineNanos);
        fifo.add(reply, framer.expectation(reply), now, start + recvTimeoutNanos);
        counters.add(server, ServerField.REQUESTS, 1);
        unsentRequests++;
        showQueues();
        if (!dirty) {
            dirty = true;
            worker.markDirty(this);
        }
    }

    @Override
    public String address() {
        return addressText;
    }

    State state() {
        return state;
    }

    int inFlight() {
        return fifo.size();
    }

    private void transition(State next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("backend " + addressText + ": " + state + " -> " + next);
        }
        state = next;
    }

    /** Opens the connection (DOWN → CONNECTING). */
    void connect(long nowNanos) {
        transition(State.CONNECTING);
        stateDeadlineNanos = nowNanos + connectTimeoutNanos;
        startHandshake(nowNanos);
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            if (channel.connect(address)) {
                key = worker.register(channel, SelectionKey.OP_READ, this);
                onConnected();
            } else {
                key = worker.register(channel, SelectionKey.OP_CONNECT, this);
            }
        } catch (IOException | RuntimeException e) {
            failOnError(nowNanos, "connect failed: " + describe(e));
        }
    }

    /** Connects now if the connection is down, without waiting for its retry (a server about to rejoin). */
    void connectNow(long nowNanos) {
        if (state == State.DOWN) {
            retryDelayNanos = FIRST_RETRY_NANOS;
            connect(nowNanos);
        }
    }

    /** The selector says the connect finished, one way or the other. */
    void onConnectable(long nowNanos) {
        try {
            if (channel.finishConnect()) {
                onConnected();
            }
        } catch (IOException e) {
            failOnError(nowNanos, "connect failed: " + describe(e));
        }
    }

    /**
     * Writes the protocol's handshake for the connection being opened and puts its replies at the head of
     * the FIFO (which is empty: a connection that went down failed everything it had), due within
     * {@code recv_timeout} of the connect's deadline at the latest.
     */
    private void startHandshake(long nowNanos) {
        handshake.clear();
        handshakePending = protocol.writeHandshake(kind, handshake);
        handshakeHealthy = true;
        if (handshakePending == 0) {
            handshake.release();
            return;
        }
        if (handshakeReceiver == null) {
            handshakeReceiver = protocol.newHandshakeReceiver(kind, this::onHandshakeAnswer);
        }
        for (int i = 0; i < handshakePending; i++) {
            fifo.add(handshakeReceiver, framer.expectation(handshakeReceiver), nowNanos, stateDeadlineNanos + recvTimeoutNanos);
        }
        // Requests to the server like any other (twemproxy's requests and responses balance), not a client's.
        counters.add(server, ServerField.REQUESTS, handshakePending);
    }

    /** The protocol's verdict on one handshake reply (or on its failure). */
    private void onHandshakeAnswer(boolean healthy) {
        handshakeHealthy &= healthy;
    }

    /** The socket is connected: send the handshake first, if the protocol has one, else take requests. */
    private void onConnected() {
        lastProgressNanos = worker.nanoTime();
        if (handshakePending > 0) {
            transition(State.HANDSHAKING);
            key.interestOps(SelectionKey.OP_READ);
            if (!dirty) {
                dirty = true;
                worker.markDirty(this);
            }
            return;
        }
        onReady();
    }

    /** Connected and, if there was one, through the handshake: requests go out from now on. */
    private void onReady() {
        transition(State.CONNECTED);
        counters.add(server, ServerField.SERVER_CONNECTIONS, 1);
        lastProgressNanos = worker.nanoTime();
        retryDelayNanos = FIRST_RETRY_NANOS;
        key.interestOps(SelectionKey.OP_READ);
        if (!everConnected) {
            log.info("backend {} connected (worker {}){}", addressText, worker.index(),
                    failedConnects == 0 ? "" : " after " + failedConnects + " failed attempts");
        } else {
            log.debug("backend {} connected again (worker {}) after {} failed attempts", addressText, worker.index(), failedConnects);
        }
        everConnected = true;
        failedConnects = 0;
        if (!out.isEmpty() && !dirty) {
            dirty = true;
            worker.markDirty(this);
        }
    }

    /** The selector says replies arrived. */
    void onReadable(long nowNanos) {
        int read;
        try {
            read = in.readFrom(channel);
        } catch (IOException e) {
            failOnError(nowNanos, "read failed: " + describe(e));
            return;
        }
        if (read < 0) {
            counters.add(server, ServerField.SERVER_EOF, 1);
            fail(nowNanos, "closed by server", true);
            return;
        }
        if (read > 0) {
            lastProgressNanos = nowNanos;
            counters.add(server, ServerField.RESPONSE_BYTES, read);
        }
        deliverReplies(nowNanos);
        if ((state == State.CONNECTED || state == State.HANDSHAKING) && !paused && read == 0 && in.readable() == in.maxCapacity()) {
            failOnError(nowNanos, "reply larger than max_packet");
        }
    }

    private void deliverReplies(long nowNanos) {
        while ((state == State.CONNECTED || state == State.HANDSHAKING) && !in.isEmpty()) {
            if (fifo.isEmpty()) {
                failOnError(nowNanos, "unexpected data from server: \"" + in.toString(in.readIndex(), Math.min(in.readable(), 40)) + "\"");
                return;
            }
            int length;
            try {
                length = framer.frame(in, fifo.headExpectation());
            } catch (MalformedReplyException e) {
                failOnError(nowNanos, "unparseable reply: " + e.getMessage());
                return;
            }
            if (length == 0) {
                return;
            }
            boolean late = fifo.headAbandoned();
            int offset = in.readIndex();
            if (!framer.endsReply()) {
                // A part of a reply that goes on: the request stays at the head for the rest.
                PendingReply head = fifo.head();
                if (!late) {
                    head.onReplyPart(in, offset, length);
                }
                in.skip(length);
                if (!late && head != unthrottled && state == State.CONNECTED && !head.acceptsPart()) {
                    pause(nowNanos);
                    return;
                }
                continue;
            }
            long sentNanos = fifo.headEnqueuedNanos();
            PendingReply reply = fifo.poll();
            counters.add(server, ServerField.RESPONSES, 1);
            if (fifo.isEmpty()) {
                awaitingBytes = 0;
            }
            if (reply == unthrottled) {
                unthrottled = null;
            }
            if (state == State.HANDSHAKING) {
                // Only handshake replies come before the connection is ready: nothing else was sent. The
                // receiver reads the reply before it is skipped: skipping the last bytes empties the buffer.
                reply.onReply(in, offset, length);
                String refused = handshakeHealthy ? null : in.toString(offset, Math.min(length, 60)).trim();
                in.skip(length);
                onHandshakeReply(nowNanos, refused);
                continue;
            }
            if (!late && framer.isServerFailure(in, offset, length)) {
                counters.add(server, ServerField.SERVER_ERR, 1);
                health.recordFailure();
                reply.onReply(in, offset, length);
            } else if (!late) {
                health.recordSuccess();
                timings.recordReply(reply.commandKind(), nowNanos - sentNanos);
                reply.onReply(in, offset, length);
            }
            in.skip(length);
        }
        if (in.isEmpty()) {
            in.shrink();
        }
        showQueues();
    }

    /**
     * One handshake reply, judged by its receiver and skipped; {@code refused}: its text when it was
     * unhealthy, else null. The last healthy one makes the connection ready; an unhealthy one fails it.
     */
    private void onHandshakeReply(long nowNanos, String refused) {
        handshakePending--;
        if (refused != null) {
            failHandshake(nowNanos, "handshake refused: \"" + refused + "\"");
        } else if (handshakePending == 0) {
            handshake.release();
            onReady();
        }
    }

    /** The handshake failed: a connection failure, logged at the first of a row, counted against the server. */
    private void failHandshake(long nowNanos, String reason) {
        if (failedConnects == 0) {
            log.warn("backend {} (worker {}): {}", addressText, worker.index(), reason);
        }
        failOnError(nowNanos, reason);
    }

    /** Stops reading until the head reply takes parts again; what is already in {@code in} stays there. */
    private void pause(long nowNanos) {
        paused = true;
        pausedSinceNanos = nowNanos;
        updateInterest();
    }

    /**
     * Called on every turn of the worker's loop: resumes reading once the reply at the head takes parts
     * again (its client caught up), or delivers the rest of it regardless after {@code recv_timeout}.
     * Either way the time spent paused was not the server's, so it does not count toward a timeout.
     */
    void resumeIfReady(long nowNanos) {
        if (!paused) {
            return;
        }
        if (state != State.CONNECTED) {
            paused = false;
            return;
        }
        if (!fifo.isEmpty() && !fifo.headAbandoned() && !fifo.head().acceptsPart()) {
            if (nowNanos - pausedSinceNanos < recvTimeoutNanos) {
                return;
            }
            unthrottled = fifo.head();
            log.info("backend {} (worker {}): a client took no part of a reply for {} ms; the rest is delivered regardless",
                    addressText, worker.index(), recvTimeoutNanos / 1_000_000);
        }
        paused = false;
        lastProgressNanos = nowNanos;
        updateInterest();
        deliverReplies(nowNanos);
    }

    private void updateInterest() {
        key.interestOps((paused ? 0 : SelectionKey.OP_READ) | (sending().isEmpty() ? 0 : SelectionKey.OP_WRITE));
    }

    /**
     * Writes what is queued; asks for OP_WRITE only while something is left. While the handshake is on,
     * only the handshake: the requests in {@code out} wait for its replies.
     */
    void flush(long nowNanos) {
        dirty = false;
        Buffer sending = sending();
        if ((state != State.CONNECTED && state != State.HANDSHAKING) || sending.isEmpty()) {
            return;
        }
        int written;
        try {
            written = sending.writeTo(channel);
        } catch (IOException e) {
            failOnError(nowNanos, "write failed: " + describe(e));
            return;
        }
        counters.add(server, ServerField.REQUEST_BYTES, written);
        if (state == State.CONNECTED) {
            awaitingBytes += written;
            if (out.isEmpty()) {
                unsentRequests = 0;
                out.shrink();
            }
            showQueues();
        }
        updateInterest();
    }

    /** What goes to the socket now: the handshake until its replies are in, then the requests. */
    private Buffer sending() {
        return state == State.HANDSHAKING ? handshake : out;
    }

    /** Acts on whatever is due: request timeouts, a connect that takes too long, a retry. */
    void onTimer(long nowNanos) {
        switch (state) {
            case CONNECTING -> {
                if (stateDeadlineNanos - nowNanos <= 0) {
                    counters.add(server, ServerField.SERVER_TIMEDOUT, 1);
                    fail(nowNanos, "connect timed out", true);
                }
            }
            case DOWN -> {
                if (stateDeadlineNanos - nowNanos <= 0) {
                    connect(nowNanos);
                }
            }
            default -> {
            }
        }
        if (state == State.CONNECTED && (paused || nowNanos - lastProgressNanos < recvTimeoutNanos)) {
            // Replies are still arriving, or wait for a slow client to take them: requests behind a large
            // one wait their turn, not a timeout.
            return;
        }
        PendingReply expired;
        boolean anyExpired = false;
        while ((expired = fifo.expireNext(nowNanos)) != null) {
            anyExpired = true;
            counters.add(server, ServerField.SERVER_TIMEDOUT, 1);
            if (expired == handshakeReceiver) {
                handshakeHealthy = false;
                continue;
            }
            health.recordFailure();
            timings.recordFailure(expired.commandKind(), BackendFailure.TIMEOUT);
            expired.onFailure(BackendFailure.TIMEOUT);
        }
        if (state == State.HANDSHAKING && !handshakeHealthy) {
            failHandshake(nowNanos, "handshake not answered within " + recvTimeoutNanos / 1_000_000 + " ms");
            return;
        }
        if (anyExpired && state == State.CONNECTED && !in.isEmpty()) {
            // Part of a reply arrived, then nothing for recv_timeout: whatever comes next cannot be trusted
            // to line up with the requests, so start over on a fresh connection.
            fail(nowNanos, "reply stalled mid-way for " + recvTimeoutNanos / 1_000_000 + " ms", false);
        }
    }

    /** When {@link #onTimer} next has something to do. */
    long nextDeadline() {
        long deadline = fifo.nextDeadline();
        if (state == State.CONNECTED && deadline != Long.MAX_VALUE) {
            deadline = Math.max(deadline, lastProgressNanos + recvTimeoutNanos);
        }
        if (paused) {
            // Due at once when the client has caught up (its output was written after the pause).
            boolean ready = fifo.isEmpty() || fifo.headAbandoned() || fifo.head().acceptsPart();
            deadline = Math.min(deadline, ready ? pausedSinceNanos : pausedSinceNanos + recvTimeoutNanos);
        }
        if (state == State.CONNECTING || state == State.DOWN) {
            deadline = Math.min(deadline, stateDeadlineNanos);
        }
        return deadline;
    }

    /**
     * The connection is lost: one log line with the reason, every request in flight fails, and a retry
     * is scheduled with exponential backoff up to {@code failover_interval}.
     */
    private void fail(long nowNanos, String reason, boolean countFailure) {
        boolean wasConnected = state == State.CONNECTED;
        leave(State.DOWN);
        closeChannel();
        stateDeadlineNanos = nowNanos + retryDelayNanos;
        retryDelayNanos = Math.min(retryDelayNanos * 2, maxRetryNanos);
        if (countFailure) {
            health.recordFailure();
        }
        int failed = failPending();
        if (!wasConnected) {
            failedConnects++;
        }
        // A server that is down is logged by the health monitor (ejected, then a summary a minute), not by
        // each connection of each worker on every retry: the close of an established connection is its one
        // INFO line; a connect that failed is DEBUG.
        if (wasConnected) {
            log.info("backend {} closed (worker {}): {}; {} requests failed, retry in {} ms",
                    addressText, worker.index(), reason, failed, (stateDeadlineNanos - nowNanos) / 1_000_000);
        } else if (log.isDebugEnabled()) {
            log.debug("backend {} closed (worker {}): {}; {} requests failed, retry in {} ms (failed connects: {})",
                    addressText, worker.index(), reason, failed, (stateDeadlineNanos - nowNanos) / 1_000_000, failedConnects);
        }
    }

    /** {@link #fail} for an error of the connection or of the server's bytes: counted as {@code server_err}. */
    private void failOnError(long nowNanos, String reason) {
        counters.add(server, ServerField.SERVER_ERR, 1);
        fail(nowNanos, reason, true);
    }

    /** Shutdown: close without retrying. */
    void close() {
        if (state == State.CLOSED) {
            return;
        }
        leave(State.CLOSED);
        closeChannel();
        failPending();
    }

    /** Moves to DOWN or CLOSED, counting the connection out of {@code server_connections} if it was up. */
    private void leave(State next) {
        if (state == State.CONNECTED) {
            counters.add(server, ServerField.SERVER_CONNECTIONS, -1);
        }
        transition(next);
    }

    private int failPending() {
        paused = false;
        unthrottled = null;
        in.clear();
        out.clear();
        handshake.release();
        handshakePending = 0;
        framer.reset();
        int failed = 0;
        // The state is already DOWN or CLOSED, so whatever the receivers do cannot enqueue here again.
        while (!fifo.isEmpty()) {
            boolean late = fifo.headAbandoned();
            PendingReply reply = fifo.poll();
            if (!late && reply != handshakeReceiver) {
                failed++;
                timings.recordFailure(reply.commandKind(), BackendFailure.UNAVAILABLE);
                reply.onFailure(BackendFailure.UNAVAILABLE);
            }
        }
        unsentRequests = 0;
        awaitingBytes = 0;
        showQueues();
        return failed;
    }

    private void closeChannel() {
        if (key != null) {
            key.cancel();
            key = null;
        }
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("backend {}: close: {}", addressText, e.toString());
            }
            channel = null;
        }
    }

    /** Brings the queue gauges up to date: adds what changed since they were last shown. */
    private void showQueues() {
        long inQueue = Math.min(unsentRequests, fifo.size());
        long outQueue = fifo.size() - inQueue;
        long inQueueBytes = out.readable();
        counters.add(server, ServerField.IN_QUEUE, inQueue - shownInQueue);
        counters.add(server, ServerField.IN_QUEUE_BYTES, inQueueBytes - shownInQueueBytes);
        counters.add(server, ServerField.OUT_QUEUE, outQueue - shownOutQueue);
        counters.add(server, ServerField.OUT_QUEUE_BYTES, awaitingBytes - shownOutQueueBytes);
        shownInQueue = inQueue;
        shownInQueueBytes = inQueueBytes;
        shownOutQueue = outQueue;
        shownOutQueueBytes = awaitingBytes;
    }

    private static String describe(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
