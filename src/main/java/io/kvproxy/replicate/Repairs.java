package io.kvproxy.replicate;

import io.kvproxy.route.Cluster;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Protocol;
import io.kvproxy.stats.WorkerCounters;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the deletes that one worker's {@link RepairLog} asks for, over the worker's own connections (of
 * kind 0), and settles entries as their answers come.
 *
 * <ul>
 *   <li>{@link #prepareRejoin}: before a server is let back into its ring, every worker deletes on it the
 *       keys it missed or may hold stale (or flushes it, if more was lost than the log could hold), and
 *       deletes every stand-in copy it knows of on servers it can reach, and the same keys on the backup,
 *       which must not keep what the master no longer holds. The server rejoins only when every
 *       worker's deletes were answered.</li>
 *   <li>{@link #tick}: a backup server that stayed in its ring but did not apply some replicas gets those
 *       keys deleted as soon as its connection can take them.</li>
 * </ul>
 *
 * <p>Owner: the worker thread. A delete's answer names its entry by index and serial, so a late answer
 * never settles a newer entry.
 */
public final class Repairs {

    private static final Logger log = LoggerFactory.getLogger(Repairs.class);
    /** Deletes one tick sends at most, so that a large backlog does not crowd out client requests. */
    private static final int TICK_BATCH = 512;
    /** The backend connection kind flushes and stand-alone deletes are sent on. */
    private static final int KIND = 0;

    private final RepairLog repairs;
    private final Protocol protocol;
    private final BackendDirectory backends;
    /** Replaced by {@link #adopt} when a reload changes the pool's clusters. */
    private Cluster backup;
    private final IntPredicate online;
    private final WorkerCounters counters;
    private final Buffer key = new Buffer(256, 64 * 1024);
    /** Servers a flush was sent to and not yet answered; made on the first flush. */
    private boolean[] flushInFlight;

    /**
     * @param backup the backup cluster, or null
     * @param online whether a topology server is in its rings now
     */
    public Repairs(RepairLog repairs, Protocol protocol, BackendDirectory backends, Cluster backup, IntPredicate online,
                   WorkerCounters counters) {
        this.repairs = repairs;
        this.protocol = protocol;
        this.backends = backends;
        this.backup = backup;
        this.online = online;
        this.counters = counters;
    }

    /** A reload gave the pool new clusters. */
    public void adopt(Cluster next) {
        backup = next;
    }

    public RepairLog log() {
        return repairs;
    }

    /**
     * Sends what letting {@code server} back in needs; {@code done} is called once, on this thread, with
     * true when every delete was answered well (at once when there is nothing to do).
     */
    public void prepareRejoin(int server, Consumer<Boolean> done) {
        Batch batch = new Batch(done);
        if (repairs.flushNeeded(server)) {
            sendFlush(server, batch);
        }
        for (int e = 0; e < repairs.entryLimit(); e++) {
            if (!repairs.isLive(e)) {
                continue;
            }
            int target = repairs.server(e);
            RepairLog.Kind kind = repairs.kind(e);
            boolean mine = target == server;
            if (kind == RepairLog.Kind.STAND_IN) {
                if (!mine && !online.test(target)) {
                    // An out server's copies are deleted when it comes back itself (its own rejoin).
                    continue;
                }
            } else if (!mine) {
                continue;
            }
            if (repairs.isRepairing(e)) {
                // An earlier delete of it is still unanswered and may yet fail: let the server in next time.
                batch.unreachable = true;
                continue;
            }
            if (!sendDelete(e, batch)) {
                batch.unreachable = true;
                continue;
            }
            if (kind != RepairLog.Kind.REPLICA) {
                deleteOnBackup(e, batch);
            }
        }
        batch.sealed();
    }

    /** Deletes, on backup servers that are in, the keys of replicas they did not apply. */
    public void tick() {
        int sent = 0;
        for (int e = 0; e < repairs.entryLimit() && sent < TICK_BATCH; e++) {
            if (!repairs.isLive(e) || repairs.isRepairing(e) || repairs.kind(e) != RepairLog.Kind.REPLICA) {
                continue;
            }
            int target = repairs.server(e);
            if (online.test(target) && !repairs.flushNeeded(target) && sendDelete(e, null)) {
                sent++;
            }
        }
        if (backup != null) {
            for (int i = 0; i < backup.size(); i++) {
                int target = backup.topologyIndex(i);
                if (repairs.flushNeeded(target) && online.test(target) && !flushing(target)) {
                    sendFlush(target, null);
                }
            }
        }
    }

    /** Whether {@link #tick} may have something to do: replicas to repair or a server to flush. */
    public boolean hasWork() {
        return repairs.count(RepairLog.Kind.REPLICA) > 0 || repairs.anyFlushNeeded();
    }

    private boolean flushing(int server) {
        return flushInFlight != null && server < flushInFlight.length && flushInFlight[server];
    }

    /**
     * Sends the entry's deletes, one on each connection kind its writes went over (each queued behind
     * them); false, sending nothing, when one of those connections is not available now.
     */
    private boolean sendDelete(int entry, Batch batch) {
        int target = repairs.server(entry);
        int kinds = repairs.connectionKinds(entry);
        int deletes = 0;
        for (int kind = 0; kind < Byte.SIZE; kind++) {
            if ((kinds & (1 << kind)) != 0) {
                if (!backends.backend(kind, target).isAvailable()) {
                    return false;
                }
                deletes++;
            }
        }
        key.clear();
        repairs.copyKey(entry, key);
        int serial = repairs.serial(entry);
        repairs.repairSent(entry, deletes);
        for (int kind = 0; kind < Byte.SIZE; kind++) {
            if ((kinds & (1 << kind)) == 0) {
                continue;
            }
            Backend connection = backends.backend(kind, target);
            protocol.writeInvalidate(kind, connection.output(), key, 0, key.readable());
            if (batch != null) {
                batch.outstanding++;
            }
            connection.enqueue(protocol.newInvalidateReceiver(kind, ok -> {
                repairs.repairAnswered(entry, serial, ok);
                if (ok) {
                    counters.add(Counter.REPAIRS, 1);
                }
                if (batch != null) {
                    batch.answered(ok);
                }
            }));
        }
        return true;
    }

    /** The same key on its backup server: the backup must not keep what the master just lost. */
    private void deleteOnBackup(int entry, Batch batch) {
        if (backup == null) {
            return;
        }
        key.clear();
        repairs.copyKey(entry, key);
        int owner = backup.ownerFor(key.raw(), 0, key.readable());
        if (owner < 0) {
            return;
        }
        int target = backup.topologyIndex(owner);
        int kinds = repairs.connectionKinds(entry);
        // The key's replicas went over the same connection kinds as its writes: queue a delete behind each.
        for (int kind = 0; kind < Byte.SIZE; kind++) {
            if ((kinds & (1 << kind)) == 0) {
                continue;
            }
            Backend connection = backends.backend(kind, target);
            if (!online.test(target) || !connection.isAvailable()) {
                if (!repairs.record(target, RepairLog.Kind.REPLICA, kind, key, 0, key.readable())) {
                    repairs.requireFlush(target);
                }
                continue;
            }
            protocol.writeInvalidate(kind, connection.output(), key, 0, key.readable());
            batch.outstanding++;
            connection.enqueue(protocol.newInvalidateReceiver(kind, ok -> {
                if (ok) {
                    counters.add(Counter.REPAIRS, 1);
                }
                batch.answered(ok);
            }));
        }
    }

    private void sendFlush(int server, Batch batch) {
        Backend connection = backends.backend(KIND, server);
        if (!connection.isAvailable()) {
            if (batch != null) {
                batch.unreachable = true;
            }
            return;
        }
        if (flushInFlight == null || flushInFlight.length < repairs.serverCount()) {
            flushInFlight = flushInFlight == null ? new boolean[repairs.serverCount()] : java.util.Arrays.copyOf(flushInFlight, repairs.serverCount());
        }
        flushInFlight[server] = true;
        protocol.writeInvalidateAll(connection.output());
        if (batch != null) {
            batch.outstanding++;
        }
        log.warn("flushing {}: it lost track of more keys than the repair log holds", connection.address());
        connection.enqueue(protocol.newInvalidateReceiver(KIND, ok -> {
            flushInFlight[server] = false;
            if (ok) {
                repairs.flushed(server);
                counters.add(Counter.REPAIRS, 1);
            }
            if (batch != null) {
                batch.answered(ok);
            }
        }));
    }

    /** The deletes of one rejoin: done when every one is answered. */
    private static final class Batch {
        private final Consumer<Boolean> done;
        int outstanding;
        boolean failed;
        boolean unreachable;
        private boolean sealed;
        private boolean reported;

        Batch(Consumer<Boolean> done) {
            this.done = done;
        }

        void answered(boolean ok) {
            outstanding--;
            failed |= !ok;
            maybeDone();
        }

        void sealed() {
            sealed = true;
            maybeDone();
        }

        private void maybeDone() {
            if (sealed && outstanding == 0 && !reported) {
                reported = true;
                done.accept(!failed && !unreachable);
            }
        }
    }
}
