package io.kvproxy.replicate;

import io.kvproxy.route.Cluster;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Replicator;
import io.kvproxy.stats.WorkerCounters;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's replication to the backup cluster. A replica goes to the key's owner on the full backup
 * ring and nowhere else: while that server is out its replicas are not scattered over other backup
 * servers (nothing would clean them) but counted failed and recorded in the {@link RepairLog}, so the
 * server has the keys deleted before it is trusted again. So are replicas it drops (queue full),
 * rejects or never answers. The backup thus never holds a value the master has moved past.
 *
 * <p>Accounting, always: {@code replication_accepted = replicated + replication_dropped +
 * replication_failed + replication_in_flight}. Problems are logged at most once a second per process.
 *
 * <p>Owner: the worker thread; {@link Replica}s are pooled here and live until the backup answers,
 * independent of the client connection that made the write.
 */
public final class WorkerReplicator implements Replicator {

    private static final Logger log = LoggerFactory.getLogger(WorkerReplicator.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

    /** Replaced by {@link #adopt} when a reload changes the pool's clusters. */
    private Cluster backup;
    private final BackendDirectory backends;
    private final RepairLog repairs;
    private final WorkerCounters counters;
    /** This worker's share of async_size; a reload may change it. */
    private int asyncLimit;
    private final ArrayDeque<Replica> pool = new ArrayDeque<>();
    private final Buffer keyScratch = new Buffer(256, 64 * 1024);
    private int asyncInFlight;

    /**
     * @param backup the backup cluster, or null when the pool has none
     * @param asyncLimit this worker's share of {@code async_size}
     */
    public WorkerReplicator(Cluster backup, BackendDirectory backends, RepairLog repairs, WorkerCounters counters,
                            int asyncLimit) {
        this.backup = backup;
        this.backends = backends;
        this.repairs = repairs;
        this.counters = counters;
        this.asyncLimit = asyncLimit;
    }

    /** A reload changed async_size: replicas in flight beyond the new share are not cut short, only new ones wait. */
    public void setAsyncLimit(int limit) {
        asyncLimit = limit;
    }

    /** A reload gave the pool new clusters: replicas from now on go by {@code next} (null: none). */
    public void adopt(Cluster next) {
        backup = next;
    }

    @Override
    public boolean enabled() {
        return backup != null;
    }

    /** Asynchronous replicas sent and not yet answered. */
    public int asyncInFlight() {
        return asyncInFlight;
    }

    @Override
    public ReplicaWrite start(int kind, Buffer key, int keyOffset, int keyLength, boolean sync) {
        if (backup == null) {
            throw new IllegalStateException("replication without hosts_backup");
        }
        counters.add(Counter.REPLICATION_ACCEPTED, 1);
        int owner = backup.ownerFor(key.raw(), keyOffset, keyLength);
        if (owner < 0) {
            counters.add(Counter.REPLICATION_FAILED, 1);
            report("no backup server can own the key");
            return null;
        }
        int server = backup.topologyIndex(owner);
        Backend connection = backends.backend(kind, server);
        if (!backup.isIn(owner) || !connection.isAvailable()) {
            counters.add(Counter.REPLICATION_FAILED, 1);
            recordForRepair(server, kind, key, keyOffset, keyLength);
            report("backup server " + connection.address() + " is out: replica not applied, key kept for repair");
            return null;
        }
        if (!sync && asyncInFlight >= asyncLimit) {
            counters.add(Counter.REPLICATION_DROPPED, 1);
            recordForRepair(server, kind, key, keyOffset, keyLength);
            report("asynchronous replication queue full (async_size): replica dropped, key kept for repair");
            return null;
        }
        Replica replica = pool.pollFirst();
        if (replica == null) {
            replica = new Replica(this);
        }
        replica.begin(connection, server, kind, sync, key, keyOffset, keyLength);
        if (!sync) {
            asyncInFlight++;
        }
        counters.add(Counter.REPLICATION_IN_FLIGHT, 1);
        return replica;
    }

    void onApplied(Replica replica) {
        settle(replica);
        counters.add(Counter.REPLICATED, 1);
    }

    void onFailed(Replica replica, String why) {
        settle(replica);
        counters.add(Counter.REPLICATION_FAILED, 1);
        keyScratch.clear();
        keyScratch.put(replica.key, 0, replica.keyLength);
        recordForRepair(replica.server, replica.kind, keyScratch, 0, replica.keyLength);
        report("replica to " + replica.backend().address() + " not applied (" + why + "), key kept for repair");
    }

    private void settle(Replica replica) {
        counters.add(Counter.REPLICATION_IN_FLIGHT, -1);
        if (!replica.sync) {
            asyncInFlight--;
        }
        pool.addLast(replica);
    }

    private void recordForRepair(int server, int kind, Buffer key, int keyOffset, int keyLength) {
        if (!repairs.record(server, RepairLog.Kind.REPLICA, kind, key, keyOffset, keyLength)) {
            if (!repairs.flushNeeded(server)) {
                log.warn("repair log full: backup server #{} will be flushed before it is trusted again", server);
            }
            repairs.requireFlush(server);
        }
    }

    private void report(String what) {
        long now = System.nanoTime();
        long last = lastLogNanos.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
            log.warn("{} (this worker so far: {} dropped, {} failed; further messages within 1 s suppressed)", what,
                    counters.get(Counter.REPLICATION_DROPPED), counters.get(Counter.REPLICATION_FAILED));
        }
    }

    /**
     * One replica write: its server, whether a client waits for it, and a copy of its key, for the
     * repair log should it not apply. States: free (in the pool) → in flight → free, on exactly one of
     * {@link #applied()} or {@link #failed}.
     */
    static final class Replica implements ReplicaWrite {

        private final WorkerReplicator owner;
        private Backend backend;
        private int server;
        private int kind;
        private boolean sync;
        private boolean inFlight;
        private byte[] key = new byte[256];
        private int keyLength;

        Replica(WorkerReplicator owner) {
            this.owner = owner;
        }

        void begin(Backend backend, int server, int kind, boolean sync, Buffer source, int offset, int length) {
            this.backend = backend;
            this.server = server;
            this.kind = kind;
            this.sync = sync;
            this.inFlight = true;
            if (key.length < length) {
                key = new byte[length];
            }
            for (int i = 0; i < length; i++) {
                key[i] = source.get(offset + i);
            }
            keyLength = length;
        }

        @Override
        public Backend backend() {
            return backend;
        }

        @Override
        public void applied() {
            end();
            owner.onApplied(this);
        }

        @Override
        public void failed(String why) {
            end();
            owner.onFailed(this, why);
        }

        private void end() {
            if (!inFlight) {
                throw new IllegalStateException("replica to " + backend.address() + " answered twice");
            }
            inFlight = false;
        }
    }
}
