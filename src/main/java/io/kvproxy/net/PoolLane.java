package io.kvproxy.net;

import io.kvproxy.replicate.BackendDirectory;
import io.kvproxy.replicate.RepairLog;
import io.kvproxy.replicate.Repairs;
import io.kvproxy.replicate.WorkerReplicator;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.WorkerTask;
import io.kvproxy.stats.WorkerCounters;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one worker holds for one pool: a persistent connection of every kind to every server of the
 * pool's topology, the route its sessions look keys up with, its replicator, repair log and repairs,
 * the rejoins it is preparing, and its counters. Owner: the worker thread; only {@link #repairBacklog}
 * is read from other threads.
 */
final class PoolLane {

    private static final Logger log = LoggerFactory.getLogger(PoolLane.class);

    private final Worker worker;
    private final Pool pool;
    private final BackendConnection[] backends;
    private final BackendConnection[][] byKind;
    private final WorkerRoute route;
    private final RepairLog repairLog;
    private final WorkerReplicator replicator;
    private final Repairs repairs;
    private final WorkerCounters counters;
    private final List<PendingRejoin> rejoins = new ArrayList<>();
    /** The protocol's background work for this pool on this worker, or null. */
    private WorkerTask protocolTask;
    private long nextRepairTickNanos;
    private volatile int repairBacklog;

    PoolLane(Worker worker, Pool pool, WorkerContext context) {
        this.worker = worker;
        this.pool = pool;
        this.counters = pool.counters().get(worker.index());
        Topology topology = pool.topology();
        int kinds = pool.protocol().backendKinds();
        byKind = new BackendConnection[kinds][topology.serverCount()];
        backends = new BackendConnection[kinds * topology.serverCount()];
        for (int kind = 0; kind < kinds; kind++) {
            for (int i = 0; i < topology.serverCount(); i++) {
                InetSocketAddress address = new InetSocketAddress(topology.server(i).host(), topology.server(i).port());
                BackendConnection backend = new BackendConnection(worker, address, topology.health(i),
                        pool.protocol().newReplyFramer(kind), context.recvTimeoutNanos(),
                        context.connectTimeoutNanos(), context.maxRetryNanos(), context.maxPacketBytes());
                byKind[kind][i] = backend;
                backends[kind * topology.serverCount() + i] = backend;
            }
        }
        repairLog = new RepairLog(topology.serverCount(), Worker.REPAIR_LOG_ENTRIES);
        route = new WorkerRoute(topology, byKind, repairLog, counters);
        BackendDirectory directory = (kind, server) -> byKind[kind][server];
        replicator = new WorkerReplicator(topology.cluster(ClusterRole.BACKUP), directory, repairLog, counters,
                context.asyncLimitPerWorker());
        repairs = new Repairs(repairLog, pool.protocol(), directory, topology.cluster(ClusterRole.BACKUP),
                server -> topology.health(server).isOnline(), counters);
    }

    Pool pool() {
        return pool;
    }

    WorkerRoute route() {
        return route;
    }

    WorkerReplicator replicator() {
        return replicator;
    }

    WorkerCounters counters() {
        return counters;
    }

    BackendConnection[] backends() {
        return backends;
    }

    /** Entries this lane's repair log holds now (for reports; read from any thread, so approximate). */
    int repairBacklog() {
        return repairBacklog;
    }

    /** Asks the pool's protocol for its background work on this worker; on the worker thread, before serving. */
    void startProtocolTask(int workerCount, long now) {
        protocolTask = pool.protocol().newWorkerTask(worker.index(), workerCount, route, now);
    }

    void connectAll(long now) {
        for (BackendConnection backend : backends) {
            backend.connect(now);
        }
    }

    /**
     * The lane's timers: backend timeouts and retries, repairs of backup servers, the protocol's
     * background work (not while the worker stops), rejoins waiting.
     */
    void runTimers(long now, boolean stopping) {
        for (BackendConnection backend : backends) {
            try {
                // A backend paused for a slow client looks again each turn: a client write may have caught up.
                backend.resumeIfReady(now);
            } catch (RuntimeException e) {
                log.error("worker {}: backend {} resume failed", worker.index(), backend.address(), e);
            }
            if (backend.nextDeadline() - now <= 0) {
                try {
                    backend.onTimer(now);
                } catch (RuntimeException e) {
                    log.error("worker {}: backend {} timer failed", worker.index(), backend.address(), e);
                }
            }
        }
        if (repairs.hasWork() && now - nextRepairTickNanos >= 0) {
            nextRepairTickNanos = now + Worker.REPAIR_TICK_NANOS;
            repairs.tick();
        }
        if (protocolTask != null && !stopping && protocolTask.nextDeadlineNanos() - now <= 0) {
            try {
                protocolTask.run(now);
            } catch (RuntimeException e) {
                log.error("worker {}: pool {}: protocol task failed", worker.index(), pool.name(), e);
            }
        }
        for (int i = rejoins.size() - 1; i >= 0; i--) {
            if (rejoins.get(i).check(now)) {
                rejoins.remove(i);
            }
        }
        repairBacklog = repairLog.size();
    }

    /** The earliest of {@code deadline} and when this lane next has something to do. */
    long nextDeadline(long deadline, long now, boolean stopping) {
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
            deadline = Math.min(deadline, now + Worker.REJOIN_POLL_NANOS);
        }
        return deadline;
    }

    /** Whether a request or replica is still in flight on one of the lane's backend connections. */
    boolean hasInFlight() {
        for (BackendConnection backend : backends) {
            if (backend.inFlight() > 0) {
                return true;
            }
        }
        return false;
    }

    /** Closes every backend connection; returns the replicas given up (counted failed by the close). */
    long close() {
        long replicasGivenUp = counters.get(Counter.REPLICATION_IN_FLIGHT);
        for (BackendConnection backend : backends) {
            backend.close();
        }
        return replicasGivenUp;
    }

    /** See {@link Worker#prepareRejoin}; on the worker thread. */
    void prepareRejoin(int server, long now, long timeoutNanos, CompletableFuture<Boolean> ready) {
        route.beginRejoin();
        PendingRejoin rejoin = new PendingRejoin(server, now + timeoutNanos, ready);
        for (BackendConnection[] connections : byKind) {
            connections[server].connectNow(now);
        }
        repairs.prepareRejoin(server, ok -> rejoin.repaired(ok));
        rejoins.add(rejoin);
        if (rejoin.check(now)) {
            rejoins.remove(rejoin);
        }
    }

    void finishRejoin() {
        route.endRejoin();
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
                log.info("worker {}: pool {}: {} not ready to rejoin in time ({})", worker.index(), pool.name(),
                        byKind[0][server].address(), connected ? "repair deletes unanswered" : "not connected");
                ready.complete(false);
                return true;
            }
            return false;
        }
    }
}
