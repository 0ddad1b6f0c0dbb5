package io.kvproxy.net;

import io.kvproxy.route.Topology;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.Refusal;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A selector thread. It accepts clients from every pool's listener (every worker watches them all;
 * whoever wakes first takes the connection), owns them for life, and owns, for each pool (a {@link
 * PoolLane}), one persistent connection to every backend server of it, so a request travels client →
 * backend → client without leaving this thread or taking a lock.
 *
 * <p>One loop iteration: select; read every ready socket (client requests are parsed and appended to
 * backend outputs, backend replies are handed to sessions); run sessions that asked to resume; fire due
 * timers; while backends have output, select again without blocking (up to {@link #GATHER_PASSES}
 * times) for what arrived meanwhile; then flush every connection that has output — one write per
 * connection per iteration, so requests from many clients to one backend go out together.
 *
 * <p>Anything from another thread reaches the worker through {@link #execute} and a selector wakeup.
 */
public final class Worker implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    private static final long ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How often clients are checked for having stopped reading (a tenth of the time they are given). */
    private static final long PROGRESS_CHECK_NANOS = ClientConnection.NO_PROGRESS_NANOS / 10;
    /**
     * Keys (with the server each concerns) one worker remembers for repair: writes its stand-ins took and
     * replicas that did not apply. About 100 bytes each at most; past it, stand-in writes are refused and
     * a backup server that lost track is flushed when it is back.
     */
    static final int REPAIR_LOG_ENTRIES = 200_000;
    /** How often repairs of backup servers that stayed in are attempted while any are due. */
    static final long REPAIR_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How often a lane looks again at rejoins waiting for connections to come up. */
    static final long REJOIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /**
     * Non-blocking selects a worker makes, while they find more ready sockets, before it writes to its
     * backends: requests that arrived while the last ones were handled go out in the same write. A write
     * costs the worker and the server a system call and a wakeup whatever it carries; measured with
     * redis-benchmark on 2 cores, 10-key MGETs through one worker went from about 96,000 to 108,000 a
     * second and the redis-servers' CPU per request fell by a third. Bounded, so that a worker under a
     * flood still writes to its servers.
     */
    private static final int GATHER_PASSES = 8;
    /**
     * Free buffer memory kept per chunk size (2 MiB: 128 connections' worth of 16 KiB chunks), and how
     * often what stayed unused is freed: the memory of a burst of connections goes back within a minute.
     */
    private static final int POOL_FREE_BYTES_PER_CLASS = 2 * 1024 * 1024;
    private static final long POOL_TRIM_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final int index;
    private final WorkerContext context;
    private final Selector selector;
    /**
     * By pool index; null for a pool removed by a reload. Replaced whole, on this thread, when a reload adds
     * or removes a pool; volatile only so that reports on other threads see the current one.
     */
    private volatile PoolLane[] lanes;
    /** Lanes of pools a reload removed: their clients finish, then their connections close. */
    private final List<PoolLane> retiringLanes = new ArrayList<>();
    /** The timeouts and limits in force; replaced by a reload, on this thread. */
    private LiveSettings live;
    /** Memory of this worker's client and request buffers; see {@link BufferPool} for who takes and gives back. */
    private final BufferPool bufferPool = new BufferPool(POOL_FREE_BYTES_PER_CLASS);
    private final List<ClientConnection> clients = new ArrayList<>();
    private final List<BackendConnection> dirtyBackends = new ArrayList<>();
    private final List<ClientConnection> dirtyClients = new ArrayList<>();
    private final List<ClientConnection> resumed = new ArrayList<>();
    private final List<ClientConnection> flushing = new ArrayList<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Consumer<SelectionKey> onSelected = this::handleSelected;
    /** The clock of the current wakeup, read at its first ready key. */
    private long eventNanos;
    private boolean eventClockRead;
    /** By pool index; null once cancelled (stopping). */
    private SelectionKey[] acceptKeys;
    private long acceptPausedUntilNanos;
    private long nextProgressCheckNanos;
    private long nextPoolTrimNanos;
    private volatile boolean stopping;
    private long stopDeadlineNanos;
    private volatile boolean stopped;
    private volatile int clientCount;
    /** Written once by this worker as it stops, read by the daemon after joining its thread. */
    private volatile StopTally stopTally = StopTally.NONE;

    public Worker(int index, WorkerContext context) throws IOException {
        this.index = index;
        this.context = context;
        this.selector = Selector.open();
        live = context.live();
        lanes = new PoolLane[context.pools().size()];
        for (Pool pool : context.pools()) {
            lanes[pool.index()] = new PoolLane(this, pool, context);
        }
        acceptKeys = new SelectionKey[lanes.length];
    }

    public int index() {
        return index;
    }

    /** Client connections this worker holds now; read by reports from any thread. */
    public int clientCount() {
        return clientCount;
    }

    /** Runs {@code task} on this worker's thread. */
    public void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /** Asks the worker to stop: no more accepts, finish what is in flight (up to {@code graceNanos}), exit. */
    public void stop(long graceNanos) {
        execute(() -> {
            if (!stopping) {
                stopping = true;
                stopDeadlineNanos = nanoTime() + graceNanos;
                cancelAccepting();
            }
        });
    }

    public boolean isStopped() {
        return stopped;
    }

    /** What this worker left undone when it stopped; {@link StopTally#NONE} before it has. */
    public StopTally stopTally() {
        return stopTally;
    }

    @Override
    public void run() {
        Thread.currentThread().setName("kvproxy-worker-" + index);
        context.affinity().pin(index);
        try {
            for (PoolLane lane : lanes) {
                if (lane == null) {
                    continue;
                }
                acceptKeys[lane.pool().index()] = lane.pool().listener().register(selector, SelectionKey.OP_ACCEPT, lane);
            }
            long now = nanoTime();
            nextProgressCheckNanos = now + PROGRESS_CHECK_NANOS;
            nextPoolTrimNanos = now + POOL_TRIM_NANOS;
            for (PoolLane lane : lanes) {
                if (lane == null) {
                    continue;
                }
                lane.connectAll(now);
            }
            for (PoolLane lane : lanes) {
                if (lane == null) {
                    continue;
                }
                lane.startProtocolTask(context.workerCount(), now);
            }
            loop();
        } catch (IOException | RuntimeException e) {
            log.error("worker {} failed and stops", index, e);
        } finally {
            shutdown();
            stopped = true;
        }
    }

    private void loop() throws IOException {
        while (true) {
            long now = nanoTime();
            if (stopping && (isIdle() || now - stopDeadlineNanos >= 0)) {
                return;
            }
            long waitMillis = millisUntil(nextDeadline(), now);
            // Ready keys go straight to onSelected: the selected-key set would allocate a node per event.
            eventClockRead = false;
            if (waitMillis == 0) {
                selector.selectNow(onSelected);
            } else {
                selector.select(onSelected, waitMillis);
            }
            // Timers judge this wakeup by when it began, as the events did: a backend read at its start
            // must not look silent because handling the others took long.
            now = eventClockRead ? eventNanos : nanoTime();
            runTasks();
            runResumed();
            runTimers(now);
            now = gatherBeforeFlush(now);
            flushAll(now);
        }
    }

    /** One ready key, during select; the clock is read once per wakeup, not per event. */
    private void handleSelected(SelectionKey key) {
        if (!eventClockRead) {
            eventNanos = nanoTime();
            eventClockRead = true;
        }
        long now = eventNanos;
        Object attachment = key.attachment();
        if (attachment instanceof PoolLane lane) {
            if (key.isValid() && key.isAcceptable()) {
                accept(lane, now);
            }
        } else if (attachment instanceof ClientConnection client) {
            handleClient(client, key, now);
        } else if (attachment instanceof BackendConnection backend) {
            handleBackend(backend, key, now);
        }
    }

    private void handleClient(ClientConnection client, SelectionKey key, long now) {
        try {
            if (key.isValid() && key.isReadable()) {
                client.onReadable(now);
            }
        } catch (IOException e) {
            client.closeOnError("I/O error: " + e.getMessage());
            return;
        } catch (RuntimeException e) {
            log.error("worker {}: client connection failed and is closed", index, e);
            client.close("internal error: " + e);
            return;
        }
        if (key.isValid() && key.isWritable()) {
            flush(client, now);
        }
    }

    /** Writes a client's pending replies; an error closes that connection only. */
    private void flush(ClientConnection client, long now) {
        try {
            client.flush(now);
        } catch (IOException e) {
            client.closeOnError("I/O error: " + e.getMessage());
        } catch (RuntimeException e) {
            log.error("worker {}: client connection failed and is closed", index, e);
            client.close("internal error: " + e);
        }
    }

    private void handleBackend(BackendConnection backend, SelectionKey key, long now) {
        try {
            if (key.isValid() && key.isConnectable()) {
                backend.onConnectable(now);
            }
            if (key.isValid() && key.isReadable()) {
                backend.onReadable(now);
            }
            if (key.isValid() && key.isWritable()) {
                backend.flush(now);
            }
        } catch (RuntimeException e) {
            log.error("worker {}: backend {} handling failed", index, backend.address(), e);
        }
    }

    private void accept(PoolLane lane, long now) {
        SocketChannel channel;
        try {
            channel = lane.pool().listener().accept();
        } catch (ClosedChannelException e) {
            // The daemon closed the listener to stop; this worker's stop task is on its way.
            cancelAccepting();
            return;
        } catch (IOException e) {
            // Typically out of file descriptors: stop accepting for a moment rather than spin or die.
            log.warn("worker {}: pool {}: accept failed ({}); pausing accepts for {} ms", index, lane.pool().name(), e.getMessage(),
                    TimeUnit.NANOSECONDS.toMillis(ACCEPT_PAUSE_NANOS));
            pauseAccepting(now);
            return;
        }
        if (channel == null) {
            return; // another worker took it
        }
        String peer = describePeer(channel);
        if (!context.clientSlots().tryAcquire()) {
            refuse(lane, channel, peer);
            return;
        }
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ClientConnection client = new ClientConnection(this, lane, channel, peer, context.maxPacketBytes());
            clients.add(client);
            clientCount = clients.size();
            log.debug("client {} connected to pool {} (worker {})", peer, lane.pool().name(), index);
        } catch (IOException | RuntimeException e) {
            context.clientSlots().release();
            log.warn("worker {}: could not set up client {}: {}", index, peer, e.toString());
            closeQuietly(channel);
        }
    }

    /** Turns away a client over {@code max_clients}, told so in the words of its pool's protocol. */
    private void refuse(PoolLane lane, SocketChannel channel, String peer) {
        log.warn("worker {}: refusing client {}: max_clients ({}) reached", index, peer, context.clientSlots().limit());
        try {
            channel.configureBlocking(false);
            channel.write(java.nio.ByteBuffer.wrap(lane.pool().protocol().refusal(Refusal.TOO_MANY_CONNECTIONS)));
        } catch (IOException e) {
            log.debug("refusal to {} not delivered: {}", peer, e.toString());
        }
        closeQuietly(channel);
    }

    private void cancelAccepting() {
        for (int i = 0; i < acceptKeys.length; i++) {
            if (acceptKeys[i] != null) {
                acceptKeys[i].cancel();
                acceptKeys[i] = null;
            }
        }
    }

    /** Out of file descriptors, most likely: every listener waits, since another accept would fail too. */
    private void pauseAccepting(long now) {
        for (SelectionKey acceptKey : acceptKeys) {
            if (acceptKey != null && acceptKey.isValid()) {
                acceptKey.interestOps(0);
                acceptPausedUntilNanos = now + ACCEPT_PAUSE_NANOS;
            }
        }
    }

    void onClientClosed(ClientConnection client) {
        clients.remove(client);
        clientCount = clients.size();
        context.clientSlots().release();
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("worker {}: task failed", index, e);
            }
        }
    }

    private void runResumed() {
        // A session may resume another while running; take turns until none is left.
        while (!resumed.isEmpty()) {
            flushing.addAll(resumed);
            resumed.clear();
            for (ClientConnection client : flushing) {
                try {
                    client.onResume();
                } catch (RuntimeException e) {
                    log.error("worker {}: client connection failed and is closed", index, e);
                    client.close("internal error: " + e);
                }
            }
            flushing.clear();
        }
    }

    private void runTimers(long now) {
        for (PoolLane lane : lanes) {
            if (lane == null) {
                continue;
            }
            lane.runTimers(now, stopping);
        }
        for (int i = retiringLanes.size() - 1; i >= 0; i--) {
            PoolLane lane = retiringLanes.get(i);
            lane.runTimers(now, true);
            if (!hasClients(lane) && !lane.hasInFlight()) {
                lane.close();
                retiringLanes.remove(i);
                log.info("worker {}: pool {} removed: its clients are answered and gone, its connections closed", index,
                        lane.pool().name());
            }
        }
        if (acceptPausedUntilNanos != 0 && now - acceptPausedUntilNanos >= 0) {
            acceptPausedUntilNanos = 0;
            for (SelectionKey acceptKey : acceptKeys) {
                // The listener may have been closed by a stop whose task has not run yet.
                if (acceptKey != null && acceptKey.isValid()) {
                    acceptKey.interestOps(SelectionKey.OP_ACCEPT);
                }
            }
        }
        if (now - nextProgressCheckNanos >= 0) {
            nextProgressCheckNanos = now + PROGRESS_CHECK_NANOS;
            for (int i = clients.size() - 1; i >= 0; i--) {
                clients.get(i).closeIfStoppedReading(now);
            }
        }
        if (now - nextPoolTrimNanos >= 0) {
            nextPoolTrimNanos = now + POOL_TRIM_NANOS;
            long freed = bufferPool.trim();
            if (freed > 0) {
                log.debug("worker {}: freed {} KiB of unused buffer memory; {} KiB kept", index, freed / 1024,
                        bufferPool.freeBytes() / 1024);
            }
        }
        long idleNanos = live.idleTimeoutNanos();
        if (idleNanos > 0) {
            for (int i = clients.size() - 1; i >= 0; i--) {
                ClientConnection client = clients.get(i);
                if (now - client.lastActiveNanos() > idleNanos) {
                    client.close("idle timeout");
                }
            }
        }
    }

    /**
     * Handles sockets that became ready during this iteration, while there are backend writes to gather
     * them into; returns the time to flush by (the last wakeup's, as for the events).
     */
    private long gatherBeforeFlush(long now) throws IOException {
        for (int pass = 0; pass < GATHER_PASSES && !dirtyBackends.isEmpty(); pass++) {
            eventClockRead = false;
            if (selector.selectNow(onSelected) == 0) {
                break;
            }
            now = eventClockRead ? eventNanos : now;
        }
        return now;
    }

    private void flushAll(long now) {
        // Backends first: a reply cannot come back before the request has left.
        for (int i = 0; i < dirtyBackends.size(); i++) {
            dirtyBackends.get(i).flush(now);
        }
        dirtyBackends.clear();
        for (int i = 0; i < dirtyClients.size(); i++) {
            flush(dirtyClients.get(i), now);
        }
        dirtyClients.clear();
    }

    private long nextDeadline() {
        if (!tasks.isEmpty() || !resumed.isEmpty() || !dirtyBackends.isEmpty() || !dirtyClients.isEmpty()) {
            return nanoTime();
        }
        long now = nanoTime();
        long deadline = now + TimeUnit.SECONDS.toNanos(1);
        for (PoolLane lane : lanes) {
            if (lane == null) {
                continue;
            }
            deadline = lane.nextDeadline(deadline, now, stopping);
        }
        for (PoolLane lane : retiringLanes) {
            deadline = lane.nextDeadline(deadline, now, true);
        }
        if (acceptPausedUntilNanos != 0 && acceptPausedUntilNanos - deadline < 0) {
            deadline = acceptPausedUntilNanos;
        }
        if (stopping && stopDeadlineNanos - deadline < 0) {
            deadline = stopDeadlineNanos;
        }
        return deadline;
    }

    private static long millisUntil(long deadlineNanos, long nowNanos) {
        long nanos = deadlineNanos - nowNanos;
        if (nanos <= 0) {
            return 0;
        }
        return Math.max(1, (nanos + 999_999) / 1_000_000);
    }

    /** Nothing in flight: every backend FIFO is empty and every reply has been written. */
    private boolean isIdle() {
        for (PoolLane lane : lanes) {
            if (lane == null) {
                continue;
            }
            if (lane.hasInFlight()) {
                return false;
            }
        }
        for (PoolLane lane : retiringLanes) {
            if (lane.hasInFlight()) {
                return false;
            }
        }
        return dirtyClients.isEmpty() && dirtyBackends.isEmpty();
    }

    /**
     * Closes every connection. What is still owed at this point is tallied first: requests whose replies
     * the clients will never get, and asynchronous replicas the backup never answered, which closing the
     * backup connections counts as failed.
     */
    private void shutdown() {
        long unansweredRequests = 0;
        for (ClientConnection client : new ArrayList<>(clients)) {
            unansweredRequests += client.unansweredRequests();
            client.close("proxy stopping");
        }
        long replicasGivenUp = 0;
        for (PoolLane lane : lanes) {
            if (lane == null) {
                continue;
            }
            replicasGivenUp += lane.close();
        }
        for (PoolLane lane : retiringLanes) {
            replicasGivenUp += lane.close();
        }
        retiringLanes.clear();
        stopTally = new StopTally(unansweredRequests, replicasGivenUp);
        try {
            selector.close();
        } catch (IOException e) {
            log.debug("worker {}: selector close: {}", index, e.toString());
        }
        log.info("worker {} stopped: {} requests unanswered, {} replicas given up", index, unansweredRequests, replicasGivenUp);
    }

    // --- services for the connections of this worker ---

    long nanoTime() {
        return context.clock().nanoTime();
    }

    BufferPool bufferPool() {
        return bufferPool;
    }

    /** Entries this worker's repair logs hold now (for reports; read from any thread, so approximate). */
    public int repairBacklog() {
        int total = 0;
        for (PoolLane lane : lanes) {
            if (lane == null) {
                continue;
            }
            total += lane.repairBacklog();
        }
        return total;
    }

    /** Entries this worker's repair log for {@code pool} holds now (for reports; approximate). */
    public int repairBacklog(int pool) {
        PoolLane lane = pool < lanes.length ? lanes[pool] : null;
        return lane == null ? 0 : lane.repairBacklog();
    }

    // --- letting a server back in (called from the health monitor's thread) ---

    /**
     * Prepares server {@code server} (topology index) of pool {@code pool} to rejoin: connects every
     * connection kind to it, sends the repair deletes this worker owes it and its stand-ins, and completes
     * {@code ready} with true once all of that is done, or false when it cannot be within {@code
     * timeoutNanos}. Until {@link #finishRejoin}, writes of that pool to stand-ins are refused.
     */
    public void prepareRejoin(int pool, int server, long timeoutNanos, CompletableFuture<Boolean> ready) {
        execute(() -> lanes[pool].prepareRejoin(server, nanoTime(), timeoutNanos, ready));
    }

    LiveSettings live() {
        return live;
    }

    /** A reload changed timeouts or limits: this worker's connections take them; {@code done} completes once they have. */
    public void applySettings(LiveSettings settings, CompletableFuture<Void> done) {
        execute(() -> {
            live = settings;
            for (PoolLane lane : lanes) {
                if (lane == null) {
                    continue;
                }
                lane.applySettings(settings);
            }
            done.complete(null);
        });
    }

    /**
     * A reload added {@code pool}: this worker gets a lane for it, connects to its servers and accepts
     * from its listener; {@code done} completes once it does.
     */
    public void addPool(Pool pool, CompletableFuture<Void> done) {
        execute(() -> {
            PoolLane lane = new PoolLane(this, pool, context);
            PoolLane[] grown = java.util.Arrays.copyOf(lanes, Math.max(lanes.length, pool.index() + 1));
            grown[pool.index()] = lane;
            acceptKeys = java.util.Arrays.copyOf(acceptKeys, grown.length);
            long now = nanoTime();
            lane.startProtocolTask(context.workerCount(), now);
            lane.connectAll(now);
            try {
                if (!stopping) {
                    acceptKeys[pool.index()] = pool.listener().register(selector, SelectionKey.OP_ACCEPT, lane);
                }
            } catch (ClosedChannelException e) {
                log.warn("worker {}: pool {}: its listener closed before this worker could accept from it", index, pool.name());
            }
            lanes = grown;
            done.complete(null);
        });
    }

    /**
     * A reload removed pool {@code pool}: this worker accepts no more of its clients, tells each of them
     * to finish (every request already read is answered, then the connection closes), and closes the
     * pool's backend connections once nothing is in flight; {@code done} completes once it stopped
     * accepting, so that the listener can be closed.
     */
    public void removePool(int pool, CompletableFuture<Void> done) {
        execute(() -> {
            PoolLane lane = lanes[pool];
            if (acceptKeys[pool] != null) {
                acceptKeys[pool].cancel();
                acceptKeys[pool] = null;
            }
            PoolLane[] shrunk = lanes.clone();
            shrunk[pool] = null;
            lanes = shrunk;
            for (ClientConnection client : new ArrayList<>(clients)) {
                if (client.lane() == lane) {
                    client.finishAndClose();
                }
            }
            retiringLanes.add(lane);
            done.complete(null);
        });
    }

    private boolean hasClients(PoolLane lane) {
        for (ClientConnection client : clients) {
            if (client.lane() == lane) {
                return true;
            }
        }
        return false;
    }

    /** See {@link PoolLane#connectAhead}: before a reload's topology of pool {@code pool} is published. */
    public void connectAhead(int pool, Topology next, long timeoutNanos, CompletableFuture<java.util.Set<Integer>> done) {
        execute(() -> {
            long now = nanoTime();
            lanes[pool].connectAhead(next, now, now + timeoutNanos, done);
        });
    }

    /**
     * A reload gave pool {@code pool} a new topology: this worker's lane for it adopts it ({@link
     * PoolLane#adopt}), and {@code done} completes on this worker's thread once it has.
     */
    public void adopt(int pool, Topology next, CompletableFuture<Void> done) {
        execute(() -> {
            lanes[pool].adopt(next, nanoTime());
            done.complete(null);
        });
    }

    /** The rejoin prepared by {@link #prepareRejoin} is over (the server is in, or stays out). */
    public void finishRejoin(int pool) {
        execute(lanes[pool]::finishRejoin);
    }

    SelectionKey register(SelectableChannel channel, int ops, Object attachment) throws ClosedChannelException {
        return channel.register(selector, ops, attachment);
    }

    void markDirty(BackendConnection backend) {
        dirtyBackends.add(backend);
    }

    void markDirty(ClientConnection client) {
        dirtyClients.add(client);
    }

    void markResume(ClientConnection client) {
        resumed.add(client);
    }

    private static String describePeer(SocketChannel channel) {
        try {
            return String.valueOf(channel.getRemoteAddress());
        } catch (IOException e) {
            return "unknown peer";
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("close: {}", e.toString());
        }
    }
}
