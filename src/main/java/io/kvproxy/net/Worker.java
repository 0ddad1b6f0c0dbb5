package io.kvproxy.net;

import io.kvproxy.replicate.BackendDirectory;
import io.kvproxy.replicate.RepairLog;
import io.kvproxy.replicate.Repairs;
import io.kvproxy.replicate.WorkerReplicator;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Replicator;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProxyView;
import io.kvproxy.spi.Route;
import io.kvproxy.spi.WorkerTask;
import io.kvproxy.stats.WorkerCounters;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A selector thread. It accepts clients from the shared listener (every worker watches it; whoever wakes
 * first takes the connection), owns them for life, and owns one persistent connection to every backend
 * server, so a request travels client → backend → client without leaving this thread or taking a lock.
 *
 * <p>One loop iteration: select; read every ready socket (client requests are parsed and appended to
 * backend outputs, backend replies are handed to sessions); run sessions that asked to resume; fire due
 * timers; then flush every connection that has output — one write per connection per iteration, so
 * requests from many clients to one backend go out together.
 *
 * <p>Anything from another thread reaches the worker through {@link #execute} and a selector wakeup.
 */
public final class Worker implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    private static final byte[] TOO_MANY_CONNECTIONS = "ERROR Too many open connections\r\n".getBytes(StandardCharsets.US_ASCII);
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
    private static final long REPAIR_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /**
     * Free buffer memory kept per chunk size (2 MiB: 128 connections' worth of 16 KiB chunks), and how
     * often what stayed unused is freed: the memory of a burst of connections goes back within a minute.
     */
    private static final int POOL_FREE_BYTES_PER_CLASS = 2 * 1024 * 1024;
    private static final long POOL_TRIM_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final int index;
    private final WorkerContext context;
    private final Selector selector;
    private final BackendConnection[] backends;
    private final BackendConnection[][] byKind;
    private final WorkerRoute route;
    private final RepairLog repairLog;
    private final WorkerReplicator replicator;
    private final Repairs repairs;
    private final List<PendingRejoin> rejoins = new ArrayList<>();
    /** The protocol's background work on this worker (set when the loop starts), or null. */
    private WorkerTask protocolTask;
    private long nextRepairTickNanos;
    private final WorkerCounters counters;
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
    private SelectionKey acceptKey;
    private long acceptPausedUntilNanos;
    private long nextProgressCheckNanos;
    private long nextPoolTrimNanos;
    private volatile boolean stopping;
    private long stopDeadlineNanos;
    private volatile boolean stopped;
    private volatile int clientCount;
    private volatile int repairBacklog;
    /** Written once by this worker as it stops, read by the daemon after joining its thread. */
    private volatile StopTally stopTally = StopTally.NONE;

    /** @param counters this worker's counters, already known to the reports that sum them */
    public Worker(int index, WorkerContext context, WorkerCounters counters) throws IOException {
        this.index = index;
        this.context = context;
        this.counters = counters;
        this.selector = Selector.open();
        Topology topology = context.topology();
        int kinds = context.protocol().backendKinds();
        BackendConnection[][] byKind = new BackendConnection[kinds][topology.serverCount()];
        this.backends = new BackendConnection[kinds * topology.serverCount()];
        for (int kind = 0; kind < kinds; kind++) {
            for (int i = 0; i < topology.serverCount(); i++) {
                InetSocketAddress address = new InetSocketAddress(topology.server(i).host(), topology.server(i).port());
                BackendConnection backend = new BackendConnection(this, address, topology.health(i),
                        context.protocol().newReplyFramer(kind), context.recvTimeoutNanos(),
                        context.connectTimeoutNanos(), context.maxRetryNanos(), context.maxPacketBytes());
                byKind[kind][i] = backend;
                backends[kind * topology.serverCount() + i] = backend;
            }
        }
        this.byKind = byKind;
        this.repairLog = new RepairLog(topology.serverCount(), REPAIR_LOG_ENTRIES);
        this.route = new WorkerRoute(topology, byKind, repairLog, counters);
        BackendDirectory directory = (kind, server) -> byKind[kind][server];
        this.replicator = new WorkerReplicator(topology.cluster(ClusterRole.BACKUP), directory, repairLog, counters,
                context.asyncLimitPerWorker());
        this.repairs = new Repairs(repairLog, context.protocol(), directory, topology.cluster(ClusterRole.BACKUP),
                server -> topology.health(server).isOnline(), counters);
    }

    public int index() {
        return index;
    }

    public WorkerCounters counters() {
        return counters;
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
            acceptKey = context.listener().register(selector, SelectionKey.OP_ACCEPT, null);
            long now = nanoTime();
            nextProgressCheckNanos = now + PROGRESS_CHECK_NANOS;
            nextPoolTrimNanos = now + POOL_TRIM_NANOS;
            for (BackendConnection backend : backends) {
                backend.connect(now);
            }
            protocolTask = context.protocol().newWorkerTask(index, context.workerCount(), route, now);
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
            flushAll(now);
            repairBacklog = repairLog.size();
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
        if (attachment == null) {
            if (key.isValid() && key.isAcceptable()) {
                accept(now);
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
            client.close("I/O error: " + e.getMessage());
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
            client.close("I/O error: " + e.getMessage());
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

    private void accept(long now) {
        SocketChannel channel;
        try {
            channel = context.listener().accept();
        } catch (ClosedChannelException e) {
            // The daemon closed the listener to stop; this worker's stop task is on its way.
            cancelAccepting();
            return;
        } catch (IOException e) {
            // Typically out of file descriptors: stop accepting for a moment rather than spin or die.
            log.warn("worker {}: accept failed ({}); pausing accepts for {} ms", index, e.getMessage(),
                    TimeUnit.NANOSECONDS.toMillis(ACCEPT_PAUSE_NANOS));
            pauseAccepting(now);
            return;
        }
        if (channel == null) {
            return; // another worker took it
        }
        String peer = describePeer(channel);
        if (!context.clientSlots().tryAcquire()) {
            refuse(channel, peer);
            return;
        }
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ClientConnection client = new ClientConnection(this, channel, peer, context.maxPacketBytes());
            clients.add(client);
            clientCount = clients.size();
            log.debug("client {} connected (worker {})", peer, index);
        } catch (IOException | RuntimeException e) {
            context.clientSlots().release();
            log.warn("worker {}: could not set up client {}: {}", index, peer, e.toString());
            closeQuietly(channel);
        }
    }

    private void refuse(SocketChannel channel, String peer) {
        log.warn("worker {}: refusing client {}: max_clients ({}) reached", index, peer, context.clientSlots().limit());
        try {
            channel.configureBlocking(false);
            channel.write(java.nio.ByteBuffer.wrap(TOO_MANY_CONNECTIONS));
        } catch (IOException e) {
            log.debug("refusal to {} not delivered: {}", peer, e.toString());
        }
        closeQuietly(channel);
    }

    private void cancelAccepting() {
        if (acceptKey != null) {
            acceptKey.cancel();
            acceptKey = null;
        }
    }

    private void pauseAccepting(long now) {
        if (acceptKey != null && acceptKey.isValid()) {
            acceptKey.interestOps(0);
            acceptPausedUntilNanos = now + ACCEPT_PAUSE_NANOS;
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
        for (BackendConnection backend : backends) {
            try {
                // A backend paused for a slow client looks again each turn: a client write may have caught up.
                backend.resumeIfReady(now);
            } catch (RuntimeException e) {
                log.error("worker {}: backend {} resume failed", index, backend.address(), e);
            }
            if (backend.nextDeadline() - now <= 0) {
                try {
                    backend.onTimer(now);
                } catch (RuntimeException e) {
                    log.error("worker {}: backend {} timer failed", index, backend.address(), e);
                }
            }
        }
        if (repairs.hasWork() && now - nextRepairTickNanos >= 0) {
            nextRepairTickNanos = now + REPAIR_TICK_NANOS;
            repairs.tick();
        }
        if (protocolTask != null && !stopping && protocolTask.nextDeadlineNanos() - now <= 0) {
            try {
                protocolTask.run(now);
            } catch (RuntimeException e) {
                log.error("worker {}: protocol task failed", index, e);
            }
        }
        for (int i = rejoins.size() - 1; i >= 0; i--) {
            if (rejoins.get(i).check(now)) {
                rejoins.remove(i);
            }
        }
        if (acceptKey != null && acceptPausedUntilNanos != 0 && now - acceptPausedUntilNanos >= 0) {
            acceptPausedUntilNanos = 0;
            // The listener may have been closed by a stop whose task has not run yet.
            if (acceptKey.isValid()) {
                acceptKey.interestOps(SelectionKey.OP_ACCEPT);
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
        long idleNanos = context.idleTimeoutNanos();
        if (idleNanos > 0) {
            for (int i = clients.size() - 1; i >= 0; i--) {
                ClientConnection client = clients.get(i);
                if (now - client.lastActiveNanos() > idleNanos) {
                    client.close("idle timeout");
                }
            }
        }
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
        long deadline = nanoTime() + TimeUnit.SECONDS.toNanos(1);
        for (BackendConnection backend : backends) {
            long next = backend.nextDeadline();
            if (next - deadline < 0) {
                deadline = next;
            }
        }
        if (repairs.hasWork() && nextRepairTickNanos - deadline < 0) {
            deadline = nextRepairTickNanos;
        }
        if (protocolTask != null && !stopping && protocolTask.nextDeadlineNanos() - deadline < 0) {
            deadline = protocolTask.nextDeadlineNanos();
        }
        if (!rejoins.isEmpty()) {
            // A rejoin waits for connections to come up: look again soon.
            deadline = Math.min(deadline, nanoTime() + TimeUnit.MILLISECONDS.toNanos(5));
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
        for (BackendConnection backend : backends) {
            if (backend.inFlight() > 0) {
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
        long replicasGivenUp = counters.get(Counter.REPLICATION_IN_FLIGHT);
        for (BackendConnection backend : backends) {
            backend.close();
        }
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

    Protocol protocol() {
        return context.protocol();
    }

    Route route() {
        return route;
    }

    BufferPool bufferPool() {
        return bufferPool;
    }

    Replicator replicator() {
        return replicator;
    }

    /** Entries this worker's repair log holds now (for reports; read from any thread, so approximate). */
    public int repairBacklog() {
        return repairBacklog;
    }

    // --- letting a server back in (called from the health monitor's thread) ---

    /**
     * Prepares server {@code server} (topology index) to rejoin: connects every connection kind to it,
     * sends the repair deletes this worker owes it and its stand-ins, and completes {@code ready} with
     * true once all of that is done, or false when it cannot be within {@code timeoutNanos}. Until
     * {@link #finishRejoin}, writes to stand-ins are refused.
     */
    public void prepareRejoin(int server, long timeoutNanos, CompletableFuture<Boolean> ready) {
        execute(() -> {
            route.beginRejoin();
            long now = nanoTime();
            PendingRejoin rejoin = new PendingRejoin(server, now + timeoutNanos, ready);
            for (BackendConnection[] connections : byKind) {
                connections[server].connectNow(now);
            }
            repairs.prepareRejoin(server, ok -> rejoin.repaired(ok));
            rejoins.add(rejoin);
            if (rejoin.check(now)) {
                rejoins.remove(rejoin);
            }
        });
    }

    /** The rejoin prepared by {@link #prepareRejoin} is over (the server is in, or stays out). */
    public void finishRejoin() {
        execute(route::endRejoin);
    }

    /** One server being let back in, as this worker sees it. */
    private final class PendingRejoin {
        private final int server;
        private final long deadlineNanos;
        private final CompletableFuture<Boolean> ready;
        private Boolean repaired;

        PendingRejoin(int server, long deadlineNanos, CompletableFuture<Boolean> ready) {
            this.server = server;
            this.deadlineNanos = deadlineNanos;
            this.ready = ready;
        }

        void repaired(boolean ok) {
            repaired = ok;
        }

        /** Completes {@code ready} when it can be; returns whether it has. */
        boolean check(long now) {
            if (repaired != null && !repaired) {
                ready.complete(false);
                return true;
            }
            boolean connected = true;
            for (BackendConnection[] connections : byKind) {
                connected &= connections[server].state() == BackendConnection.State.CONNECTED;
            }
            if (connected && repaired != null) {
                ready.complete(true);
                return true;
            }
            if (now - deadlineNanos >= 0) {
                log.info("worker {}: {} not ready to rejoin in time ({})", index, byKind[0][server].address(),
                        connected ? "repair deletes unanswered" : "not connected");
                ready.complete(false);
                return true;
            }
            return false;
        }
    }

    ProxyView proxyView() {
        return context.proxyView();
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
