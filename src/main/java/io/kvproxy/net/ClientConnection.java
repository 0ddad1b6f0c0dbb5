package io.kvproxy.net;

import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.ClientSession;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.ProtocolCounter;
import io.kvproxy.spi.ProxyView;
import io.kvproxy.spi.Replicator;
import io.kvproxy.spi.Route;
import io.kvproxy.stats.ServerCounters.PoolField;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, owned for life by the worker that accepted it. Bytes read go to {@code in}
 * and on to the protocol's {@link ClientSession}; replies the session appends to {@code out} are written
 * at the end of the worker's loop iteration.
 *
 * <p>Buffers: {@code in} is owned here and lent to the session, which consumes it; {@code out} is
 * appended to by the session and drained here. Both are pooled: they take memory from the worker's
 * {@link BufferPool} when bytes arrive or a reply is appended and give it back as soon as they are empty
 * again (after the session consumed the input, after the socket took the output), and for good at close.
 * An idle connection holds no buffer memory.
 *
 * <p>A client that is slow to read its replies is served at its pace; one that stops reading, so that
 * its socket accepts no byte for {@link #NO_PROGRESS_NANOS} while replies wait, is disconnected. Memory
 * stays bounded meanwhile because the session stops taking requests while too much output is waiting,
 * and {@link #MAX_WAITING_OUTPUT_BYTES} bounds what requests already in flight can still pile up.
 */
final class ClientConnection implements ClientChannel {

    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
    /**
     * How long replies may wait with the client's socket accepting no byte of them before the client is
     * taken to have stopped reading and is disconnected. Ten seconds: far longer than any pause of a
     * client that is reading, however slowly (a kernel socket buffer takes bytes as soon as the client
     * reads any), and short enough that a dead reader's replies do not stay in memory for long.
     */
    static final long NO_PROGRESS_NANOS = TimeUnit.SECONDS.toNanos(10);
    /**
     * A memory guard, not a judgement of speed: reply bytes one client may have waiting. The session stops
     * taking requests once 4 MiB wait, but the replies of requests already in flight (up to 1,024 of them,
     * each up to max_packet per key) still arrive, and without a bound one client could exhaust the
     * daemon's direct memory (1 GiB as sbin runs it) for every other. Just under 256 MiB, so that the
     * output buffer is cut before it would double to 512 MiB.
     */
    static final long MAX_WAITING_OUTPUT_BYTES = 240L * 1024 * 1024;
    /** A socket read fills what it is given; a chunk of this size takes a typical burst of requests. */
    private static final int FIRST_CHUNK_BYTES = 16 * 1024;

    /**
     * Legal moves: OPEN → INPUT_CLOSED (the client shut down its sending side: no more reading, but every
     * request it sent is still answered) → CLOSING; OPEN → CLOSING (quit or a fatal protocol error: write
     * what is pending, then close) → CLOSED; any → CLOSED (I/O error, output limit). The state at close is
     * the close reason's category.
     */
    enum State {
        OPEN, INPUT_CLOSED, CLOSING, CLOSED;

        boolean canMoveTo(State next) {
            return switch (this) {
                case OPEN -> next == INPUT_CLOSED || next == CLOSING || next == CLOSED;
                case INPUT_CLOSED -> next == CLOSING || next == CLOSED;
                case CLOSING -> next == CLOSED;
                case CLOSED -> false;
            };
        }
    }

    private final Worker worker;
    /** The pool the client connected to, as this worker serves it: the client belongs to it for life. */
    private final PoolLane lane;
    private final SocketChannel channel;
    private final SelectionKey key;
    private final String peer;
    private final Buffer in;
    private final Buffer out;
    private final ClientSession session;
    private State state = State.OPEN;
    private String closeReason;
    private boolean dirty;
    private boolean resumePending;
    private long bytesIn;
    private long bytesOut;
    private long lastActiveNanos;
    /** Replies are waiting to be written (set at the first flush that could not write them all). */
    private boolean outputWaiting;
    /** When the socket last accepted reply bytes, or when replies started waiting. */
    private long outputProgressNanos;

    ClientConnection(Worker worker, PoolLane lane, SocketChannel channel, String peer, int maxPacketBytes) throws IOException {
        this.worker = worker;
        this.lane = lane;
        this.channel = channel;
        this.peer = peer;
        // A request may be max_packet of value plus its command line (or a get line of max_packet).
        BufferPool pool = worker.bufferPool();
        this.in = new Buffer(pool, FIRST_CHUNK_BYTES, maxPacketBytes + FIRST_CHUNK_BYTES);
        this.out = new Buffer(pool, FIRST_CHUNK_BYTES, Integer.MAX_VALUE - 64);
        this.key = worker.register(channel, SelectionKey.OP_READ, this);
        this.lastActiveNanos = worker.nanoTime();
        this.session = lane.pool().protocol().openSession(this);
        lane.serverCounters().add(PoolField.CLIENT_CONNECTIONS, 1);
    }

    @Override
    public Buffer output() {
        return out;
    }

    @Override
    public void outputReady() {
        if (!dirty && state != State.CLOSED) {
            dirty = true;
            worker.markDirty(this);
        }
    }

    @Override
    public void resumeInput() {
        if (!resumePending && (state == State.OPEN || state == State.INPUT_CLOSED)) {
            resumePending = true;
            worker.markResume(this);
        }
    }

    @Override
    public void closeAfterFlush(String reason) {
        if (state == State.OPEN || state == State.INPUT_CLOSED) {
            transition(State.CLOSING);
            closeReason = reason;
            outputReady();
        }
    }

    @Override
    public BufferPool bufferPool() {
        return worker.bufferPool();
    }

    @Override
    public Route route() {
        return lane.route();
    }

    @Override
    public Replicator replicator() {
        return lane.replicator();
    }

    @Override
    public ProxyView proxy() {
        return lane.pool().view();
    }

    @Override
    public void count(Counter counter, long amount) {
        lane.counters().add(counter, amount);
    }

    @Override
    public long counter(Counter counter) {
        return lane.counters().get(counter);
    }

    @Override
    public void count(ProtocolCounter counter, long amount) {
        lane.counters().add(counter, amount);
    }

    @Override
    public int maxPacketBytes() {
        return in.maxCapacity() - 16 * 1024;
    }

    boolean isClosed() {
        return state == State.CLOSED;
    }

    long lastActiveNanos() {
        return lastActiveNanos;
    }

    private void transition(State next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("client " + peer + ": " + state + " -> " + next);
        }
        state = next;
    }

    /**
     * Its pool was removed by a reload: read nothing more, answer every request already read, then close
     * (as after a half-close).
     */
    void finishAndClose() {
        if (state == State.OPEN) {
            transition(State.INPUT_CLOSED);
            session.onInputClosed();
            updateInterest();
        }
    }

    PoolLane lane() {
        return lane;
    }

    /** The selector says there are bytes to read. */
    void onReadable(long nowNanos) throws IOException {
        int read = in.readFrom(channel);
        if (read < 0) {
            // A half-close, as `nc -N` or a client closing right after its last write does: everything it
            // sent before is still answered, then the connection is closed (as memcached does).
            transition(State.INPUT_CLOSED);
            lane.serverCounters().add(PoolField.CLIENT_EOF, 1);
            lastActiveNanos = nowNanos;
            session.onInputClosed();
            updateInterest();
            return;
        }
        bytesIn += read;
        lastActiveNanos = nowNanos;
        feedSession();
    }

    /** The session asked to be fed again after pausing (see {@link #resumeInput()}). */
    void onResume() {
        resumePending = false;
        if (state == State.OPEN || state == State.INPUT_CLOSED) {
            feedSession();
        }
    }

    private void feedSession() {
        if (!in.isEmpty()) {
            session.onRead(in);
        }
        if (in.isEmpty()) {
            in.shrink();
        }
        updateInterest();
    }

    private void updateInterest() {
        if (state == State.CLOSED) {
            return;
        }
        int ops = 0;
        if (state == State.OPEN && session.wantsInput()) {
            ops |= SelectionKey.OP_READ;
        }
        if (!out.isEmpty()) {
            ops |= SelectionKey.OP_WRITE;
        }
        key.interestOps(ops);
    }

    /** Writes pending replies; closes when closing and everything is written. */
    void flush(long nowNanos) throws IOException {
        dirty = false;
        if (state == State.CLOSED) {
            return;
        }
        if (!out.isEmpty()) {
            int written = out.writeTo(channel);
            bytesOut += written;
            if (written > 0 || !outputWaiting) {
                outputProgressNanos = nowNanos;
            }
        }
        outputWaiting = !out.isEmpty();
        if (out.readable() > MAX_WAITING_OUTPUT_BYTES) {
            log.warn("client {} disconnected: {} reply bytes waiting, more than the {} MiB one client may hold", peer,
                    out.readable(), MAX_WAITING_OUTPUT_BYTES / (1024 * 1024));
            close("output memory guard");
            return;
        }
        if (out.isEmpty()) {
            out.shrink();
            if (state == State.CLOSING) {
                close(closeReason);
                return;
            }
        }
        updateInterest();
    }

    /** Requests read from this client whose replies have not been written in full. */
    long unansweredRequests() {
        return session.unansweredRequests();
    }

    /**
     * Disconnects the client if replies have waited {@link #NO_PROGRESS_NANOS} without its socket taking a
     * byte: it has stopped reading. A slow reader makes progress and is kept. Returns whether it closed.
     */
    boolean closeIfStoppedReading(long nowNanos) {
        if (state == State.CLOSED || !outputWaiting || out.isEmpty() || nowNanos - outputProgressNanos < NO_PROGRESS_NANOS) {
            return false;
        }
        log.warn("client {} disconnected: {} reply bytes waiting and none taken by its socket for {} s; it has stopped reading",
                peer, out.readable(), TimeUnit.NANOSECONDS.toSeconds(nowNanos - outputProgressNanos));
        close("no output progress: client not reading");
        return true;
    }

    /** Its socket failed: closes now, counted as the pool's {@code client_err}. */
    void closeOnError(String reason) {
        if (state != State.CLOSED) {
            lane.serverCounters().add(PoolField.CLIENT_ERR, 1);
        }
        close(reason);
    }

    /** Closes now; one log line with the reason and the bytes moved. */
    void close(String reason) {
        if (state == State.CLOSED) {
            return;
        }
        transition(State.CLOSED);
        key.cancel();
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("client {}: close: {}", peer, e.toString());
        }
        session.onClose();
        in.release();
        out.release();
        worker.onClientClosed(this);
        lane.serverCounters().add(PoolField.CLIENT_CONNECTIONS, -1);
        log.debug("client {} closed (worker {}): {}; {} bytes in, {} bytes out", peer, worker.index(), reason, bytesIn, bytesOut);
    }
}
