package io.kvproxy.loadgen;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.SplittableRandom;

/**
 * One connection of a run, owned by one {@link LoadWorker} thread: its share of the schedule (requests
 * {@code index}, {@code index + connections}, ... of {@link OpenLoopSchedule}), the requests it sent and
 * has no reply for yet (their intended send times, oldest first: memcached answers in order), and the
 * parser of its replies. A request falls due at its intended time and is written as soon as the socket
 * takes it, pipelined behind those still unanswered, up to {@link #MAX_IN_FLIGHT} of them; its latency
 * runs from the intended time to its reply's last byte. A request that finds the pipeline full waits for
 * room, its intended time kept: a target slower than the rate sees a bounded backlog (without a bound the
 * generator buried it in megabytes of requests that outlived the run and slowed the next one), and the
 * wait still counts in the latency.
 */
final class LoadConnection implements TextReplyParser.Listener {

    private static final int BUFFER_BYTES = 64 * 1024;
    private static final int MAX_IN_FLIGHT = 256;

    private final SocketChannel channel;
    private final SelectionKey key;
    private final int index;
    private final int connections;
    private final Workload workload;
    private final Workload.KeySpace keys;
    private final SplittableRandom random;
    private final RunRecorder recorder;
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final TextReplyParser parser = new TextReplyParser();
    /** Intended send times of the requests in flight, a ring: {@code head} is the oldest. */
    private final long[] inFlight = new long[MAX_IN_FLIGHT];
    private int head;
    private int count;
    /** This connection's next request, numbered within its share (global number: next * connections + index). */
    private long next;
    private boolean writeInterest;

    LoadConnection(InetSocketAddress target, Selector selector, int index, int connections, Workload workload,
            Workload.KeySpace keys, long seed, RunRecorder recorder) throws IOException {
        this.index = index;
        this.connections = connections;
        this.workload = workload;
        this.keys = keys;
        this.random = new SplittableRandom(seed + index);
        this.recorder = recorder;
        channel = SocketChannel.open(target);
        channel.socket().setTcpNoDelay(true);
        channel.configureBlocking(false);
        key = channel.register(selector, SelectionKey.OP_READ, this);
        out.flip();
    }

    /** How many requests of this connection's share fall among the first {@code globalDue} of the schedule. */
    private long share(long globalDue) {
        return globalDue > index ? (globalDue - index + connections - 1) / connections : 0;
    }

    /** Whether every request of the first {@code globalDue} that is this connection's has been sent and answered. */
    boolean done(long globalDue) {
        return next >= share(globalDue) && count == 0;
    }

    /**
     * Writes every request of this connection's share that {@code globalDue} says is due, as far as the
     * pipeline and the socket take them.
     */
    void sendDue(long globalDue, OpenLoopSchedule schedule) throws IOException {
        long due = share(globalDue);
        if (next >= due || count == MAX_IN_FLIGHT) {
            // Nothing to add: what is still buffered goes out when the selector says the socket takes it.
            return;
        }
        out.compact();
        while (next < due && count < MAX_IN_FLIGHT && out.remaining() >= workload.maxRequestBytes()) {
            workload.request(out, keys, random);
            long intended = schedule.intendedNanos(next * connections + index);
            inFlight[(head + count++) & (MAX_IN_FLIGHT - 1)] = intended;
            recorder.sent(intended, System.nanoTime());
            next++;
        }
        out.flip();
        flush();
    }

    /**
     * Writes what is buffered; asks the selector for writability only while some is left, and changes the
     * interest only when it changes (each change is a system call at the next select).
     */
    void flush() throws IOException {
        if (out.hasRemaining()) {
            channel.write(out);
        }
        boolean wantWrite = out.hasRemaining();
        if (wantWrite != writeInterest) {
            key.interestOps(wantWrite ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            writeInterest = wantWrite;
        }
    }

    /** Reads what arrived and completes the requests it answers. */
    void read() throws IOException {
        in.clear();
        int n = channel.read(in);
        if (n < 0) {
            throw new IOException("connection " + index + " closed by the target with " + count + " requests unanswered");
        }
        in.flip();
        parser.parse(in, this);
    }

    @Override
    public void onReply(int hits, boolean error) {
        if (count == 0) {
            throw new IllegalStateException("connection " + index + ": a reply to no request");
        }
        long intended = inFlight[head];
        head = (head + 1) & (MAX_IN_FLIGHT - 1);
        count--;
        recorder.answered(intended, System.nanoTime(), hits, error);
    }

    /**
     * Records the requests still unanswered at {@code nowNanos}, those in flight and those of the first
     * {@code globalDue} never sent, as answered then, and counts them apart.
     */
    void abandon(long nowNanos, long globalDue, OpenLoopSchedule schedule) {
        while (count > 0) {
            recorder.unanswered(inFlight[head], nowNanos);
            head = (head + 1) & (MAX_IN_FLIGHT - 1);
            count--;
        }
        for (long due = share(globalDue); next < due; next++) {
            recorder.unanswered(schedule.intendedNanos(next * connections + index), nowNanos);
        }
    }

    void close() throws IOException {
        channel.close();
    }
}
