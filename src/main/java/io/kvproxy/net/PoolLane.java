package io.kvproxy.net;

import io.kvproxy.replicate.BackendDirectory;
import io.kvproxy.replicate.RepairLog;
import io.kvproxy.replicate.Repairs;
import io.kvproxy.replicate.WorkerReplicator;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.WorkerTask;
import io.kvproxy.stats.ServerCounters;
import io.kvproxy.stats.WorkerCounters;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    private final WorkerContext context;
    /** The connections of the servers the lane's topology lists; {@link #adopt} replaces both arrays. */
    private BackendConnection[] backends;
    /** By connection kind, then server number; null for a number the topology does not list. */
    private BackendConnection[][] byKind;
    /** Connections of servers a reload removed: they finish what is in flight, then close. */
    private final List<BackendConnection> retiring = new ArrayList<>();
    /** Connections to servers a reload is about to add, by server number and kind, until {@link #adopt} takes them. */
    private final Map<Integer, BackendConnection[]> ahead = new HashMap<>();
    private final List<AheadWait> aheadWaits = new ArrayList<>();
    private Topology topology;
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
        this.context = context;
        this.counters = pool.counters().get(worker.index());
        this.topology = pool.topology();
        byKind = new BackendConnection[pool.protocol().backendKinds()][0];
        backends = connectionsFor(topology, byKind, new ArrayList<>());
        repairLog = new RepairLog(topology.serverCount(), Worker.REPAIR_LOG_ENTRIES);
        route = new WorkerRoute(topology, byKind, repairLog, counters);
        BackendDirectory directory = (kind, server) -> byKind[kind][server];
        replicator = new WorkerReplicator(topology.cluster(ClusterRole.BACKUP), directory, repairLog, counters,
                worker.live().asyncLimitPerWorker());
        repairs = new Repairs(repairLog, pool.protocol(), directory, topology.cluster(ClusterRole.BACKUP),
                this::isOnline, counters);
    }

    /**
     * Fills {@code byKind} (grown to {@code next}'s numbers, and replaced in it) with a connection of
     * every kind to every server {@code next} lists: the one held already, or a new one (also added to
     * {@code created}). Returns them all.
     */
    private BackendConnection[] connectionsFor(Topology next, BackendConnection[][] current, List<BackendConnection> created) {
        int kinds = current.length;
        BackendConnection[] listed = new BackendConnection[kinds * next.listedCount()];
        int n = 0;
        for (int kind = 0; kind < kinds; kind++) {
            BackendConnection[] grown = java.util.Arrays.copyOf(current[kind], next.serverCount());
            for (int i = 0; i < grown.length; i++) {
                if (!next.contains(i)) {
                    grown[i] = null;
                    continue;
                }
                if (grown[i] == null && ahead.containsKey(i)) {
                    grown[i] = ahead.get(i)[kind];
                } else if (grown[i] == null) {
                    grown[i] = newConnection(next, i, kind);
                    created.add(grown[i]);
                }
                listed[n++] = grown[i];
            }
            current[kind] = grown;
        }
        return listed;
    }

    /** A reload changed the timeouts or async_size: every connection of the lane takes them. */
    void applySettings(LiveSettings settings) {
        for (BackendConnection backend : backends) {
            backend.applySettings(settings);
        }
        for (BackendConnection backend : retiring) {
            backend.applySettings(settings);
        }
        replicator.setAsyncLimit(settings.asyncLimitPerWorker());
    }

    private BackendConnection newConnection(Topology next, int server, int kind) {
        InetSocketAddress address = new InetSocketAddress(next.server(server).host(), next.server(server).port());
        ServerCounters serverCounters = serverCounters();
        serverCounters.ensureServer(server);
        return new BackendConnection(worker, address, next.health(server),
                pool.timings().forWorker(next.health(server).address(), worker.index()), serverCounters, server,
                pool.protocol(), kind,
                worker.live().recvTimeoutNanos(), worker.live().connectTimeoutNanos(), worker.live().maxRetryNanos(),
                context.maxPacketBytes());
    }

    /**
     * Before a reload's topology is published: connects every kind of connection to each server {@code
     * next} adds, so that the server is put in the ring only once it can take requests. {@code done} gets
     * the servers this worker connected to, once each is connected or has failed to, or at {@code
     * deadlineNanos}; {@link #adopt} then takes these connections.
     */
    void connectAhead(Topology next, long now, long deadlineNanos, CompletableFuture<java.util.Set<Integer>> done) {
        for (int i = 0; i < next.serverCount(); i++) {
            boolean held = i < byKind[0].length && byKind[0][i] != null;
            if (!next.contains(i) || held || ahead.containsKey(i)) {
                continue;
            }
            BackendConnection[] connections = new BackendConnection[byKind.length];
            for (int kind = 0; kind < connections.length; kind++) {
                connections[kind] = newConnection(next, i, kind);
                connections[kind].connect(now);
            }
            ahead.put(i, connections);
        }
        aheadWaits.add(new AheadWait(deadlineNanos, done));
        checkAhead(now);
    }

    /** Completes the waits of {@link #connectAhead} that can be. */
    private void checkAhead(long now) {
        if (aheadWaits.isEmpty()) {
            return;
        }
        boolean settled = true;
        java.util.Set<Integer> connected = new java.util.HashSet<>();
        for (Map.Entry<Integer, BackendConnection[]> server : ahead.entrySet()) {
            boolean all = true;
            for (BackendConnection connection : server.getValue()) {
                settled &= connection.state() != BackendConnection.State.CONNECTING
                        && connection.state() != BackendConnection.State.HANDSHAKING;
                all &= connection.state() == BackendConnection.State.CONNECTED;
            }
            if (all) {
                connected.add(server.getKey());
            }
        }
        for (int w = aheadWaits.size() - 1; w >= 0; w--) {
            AheadWait wait = aheadWaits.get(w);
            if (settled || now - wait.deadlineNanos() >= 0) {
                wait.done().complete(connected);
                aheadWaits.remove(w);
            }
        }
    }

    /** One reload waiting for {@link #connectAhead}. */
    private record AheadWait(long deadlineNanos, CompletableFuture<java.util.Set<Integer>> done) {
    }

    /** Whether server {@code server} is listed now and in its rings. */
    private boolean isOnline(int server) {
        return topology.contains(server) && topology.health(server).isOnline();
    }

    /**
     * A reload gave the pool a new topology: a server that stays keeps its connections (and what is in
     * flight on them); a new one gets connections, connecting now, which take requests at once (they are
     * sent once connected); a removed one takes no new request, finishes what it has in flight and is
     * then closed. Its repair entries are dropped: nothing can be sent to it any more.
     */
    void adopt(Topology next, long now) {
        Topology previous = topology;
        BackendConnection[][] nextByKind = new BackendConnection[byKind.length][];
        for (int kind = 0; kind < byKind.length; kind++) {
            nextByKind[kind] = byKind[kind].clone();
        }
        List<BackendConnection> created = new ArrayList<>();
        BackendConnection[] nextBackends = connectionsFor(next, nextByKind, created);
        for (int kind = 0; kind < byKind.length; kind++) {
            for (int i = 0; i < byKind[kind].length; i++) {
                BackendConnection old = byKind[kind][i];
                if (old != null && (i >= nextByKind[kind].length || nextByKind[kind][i] != old)) {
                    retiring.add(old);
                }
            }
        }
        for (int i = 0; i < previous.serverCount(); i++) {
            if (previous.contains(i) && !next.contains(i)) {
                repairLog.forget(i);
            }
        }
        repairLog.ensureServerCount(next.serverCount());
        topology = next;
        byKind = nextByKind;
        backends = nextBackends;
        route.adopt(next, nextByKind);
        replicator.adopt(next.cluster(ClusterRole.BACKUP));
        repairs.adopt(next.cluster(ClusterRole.BACKUP));
        // Connected ahead for a topology that is not this one (a later reload came first): not needed.
        for (BackendConnection[] unused : ahead.values()) {
            for (BackendConnection connection : unused) {
                if (!java.util.Arrays.asList(nextBackends).contains(connection)) {
                    connection.close();
                }
            }
        }
        ahead.clear();
        for (BackendConnection backend : created) {
            backend.connect(now);
        }
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

    /** This worker's twemproxy-style counters of the pool. */
    ServerCounters serverCounters() {
        return pool.serverCounters().get(worker.index());
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
        for (BackendConnection[] connections : ahead.values()) {
            for (BackendConnection connection : connections) {
                runTimer(connection, now);
            }
        }
        checkAhead(now);
        for (int i = retiring.size() - 1; i >= 0; i--) {
            BackendConnection backend = retiring.get(i);
            runTimer(backend, now);
            if (backend.inFlight() == 0) {
                backend.close();
                retiring.remove(i);
                log.info("worker {}: pool {}: connection to {} closed: the server left the pool", worker.index(), pool.name(),
                        backend.address());
            }
        }
        for (BackendConnection backend : backends) {
            runTimer(backend, now);
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

    private void runTimer(BackendConnection backend, long now) {
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

    /** The earliest of {@code deadline} and when this lane next has something to do. */
    long nextDeadline(long deadline, long now, boolean stopping) {
        if (!aheadWaits.isEmpty()) {
            deadline = Math.min(deadline, now + Worker.REJOIN_POLL_NANOS);
        }
        for (BackendConnection backend : backends) {
            long next = backend.nextDeadline();
            if (next - deadline < 0) {
                deadline = next;
            }
        }
        for (BackendConnection backend : retiring) {
            deadline = Math.min(deadline, Math.min(backend.nextDeadline(), now + Worker.REJOIN_POLL_NANOS));
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
        return !retiring.isEmpty();
    }

    /** Closes every backend connection; returns the replicas given up (counted failed by the close). */
    long close() {
        long replicasGivenUp = counters.get(Counter.REPLICATION_IN_FLIGHT);
        for (BackendConnection backend : backends) {
            backend.close();
        }
        for (BackendConnection backend : retiring) {
            backend.close();
        }
        retiring.clear();
        for (BackendConnection[] connections : ahead.values()) {
            for (BackendConnection connection : connections) {
                connection.close();
            }
        }
        ahead.clear();
        for (AheadWait wait : aheadWaits) {
            wait.done().complete(java.util.Set.of());
        }
        aheadWaits.clear();
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
