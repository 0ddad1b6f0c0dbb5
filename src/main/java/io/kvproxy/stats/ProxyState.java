package io.kvproxy.stats;

import io.kvproxy.config.ProxySettings;
import io.kvproxy.route.Cluster;
import io.kvproxy.route.ServerHealth;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.ProtocolCounter;
import io.kvproxy.spi.ProxyView;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One pool's state as its clients may ask for it: the original kvproxy {@code status} report (line for line,
 * then kvproxy-java's own lines) and memcached-style {@code stats}. Reads every worker's counters; safe
 * from any thread.
 */
public final class ProxyState implements ProxyView {

    /** The original printed "N+" from this count on; kept so scripts that parse it keep working. */
    private static final long PROCESSED_CAP = 2_100_000_000L;

    private final String version;
    private final String pool;
    /** The [kvproxy] settings in force (a reload may change some). */
    private final Supplier<ProxySettings> settings;
    /** The pool's topology now (a reload replaces it). */
    private final Supplier<Topology> topology;
    private final List<WorkerCounters> counters;
    private final IntSupplier clientConnections;
    private final LongSupplier totalConnections;
    private final LongSupplier refusedConnections;
    /** Backend connections connected now, over every worker and server. */
    private final LongSupplier backendConnections;
    private final LongSupplier workerAllocatedBytes;
    private final LongSupplier repairBacklog;
    private final ServerTimings timings;
    private final long startMillis = System.currentTimeMillis();
    /** The pool protocol's own counters, in ordinal order. */
    private final List<ProtocolCounter> protocolCounters;
    /**
     * What {@code stats} subtracts since the last {@code stats reset}: one slot per protocol counter, then
     * the connection totals. The core's counters are never reset.
     */
    private final AtomicLongArray resetBase;
    private static final Counter[] COUNTERS = Counter.values();
    private final int totalConnectionsBase;
    private final int rejectedConnectionsBase;
    /** The configuration in force: replaced whole by the control thread, read by any. */
    private volatile ConfigLoad configLoad = new ConfigLoad(0, Instant.EPOCH);

    /** The configuration in force: its generation (1 at start, +1 per applied reload) and when it was loaded. */
    public record ConfigLoad(long generation, Instant loadedAt) {
    }

    /**
     * @param pool the pool's name: {@code stats} and {@code status} report one pool, the one the client
     *     is connected to
     */
    public ProxyState(String version, String pool, Supplier<ProxySettings> settings, Supplier<Topology> topology,
                      List<ProtocolCounter> protocolCounters, List<WorkerCounters> counters, IntSupplier clientConnections, LongSupplier totalConnections, LongSupplier refusedConnections,
                      LongSupplier backendConnections, LongSupplier workerAllocatedBytes, LongSupplier repairBacklog, ServerTimings timings) {
        this.version = version;
        this.pool = pool;
        this.settings = settings;
        this.topology = topology;
        this.counters = List.copyOf(counters);
        this.protocolCounters = List.copyOf(protocolCounters);
        for (int i = 0; i < protocolCounters.size(); i++) {
            if (protocolCounters.get(i).ordinal() != i) {
                throw new IllegalStateException("protocol counter " + protocolCounters.get(i).statName() + " has ordinal "
                        + protocolCounters.get(i).ordinal() + " at place " + i);
            }
        }
        this.resetBase = new AtomicLongArray(protocolCounters.size() + 2);
        this.totalConnectionsBase = protocolCounters.size();
        this.rejectedConnectionsBase = protocolCounters.size() + 1;
        this.clientConnections = clientConnections;
        this.totalConnections = totalConnections;
        this.refusedConnections = refusedConnections;
        this.backendConnections = backendConnections;
        this.workerAllocatedBytes = workerAllocatedBytes;
        this.repairBacklog = repairBacklog;
        this.timings = timings;
    }

    /** Records the configuration now in force, for {@code status} and {@code stats}. */
    public void configLoaded(long generation, Instant loadedAt) {
        configLoad = new ConfigLoad(generation, loadedAt);
    }

    /** The pool's name. */
    public String pool() {
        return pool;
    }

    /** The pool's topology now. */
    public Topology topology() {
        return topology.get();
    }

    /** The latencies and failures of the pool's servers. */
    public ServerTimings timings() {
        return timings;
    }

    /** The configuration in force now. */
    public ConfigLoad configLoad() {
        return configLoad;
    }

    /** Keys this pool's workers hold for repair. */
    public long repairBacklog() {
        return repairBacklog.getAsLong();
    }

    @Override
    public String version() {
        return version;
    }

    /** Sum of one counter over all workers. */
    public long total(Counter counter) {
        long sum = 0;
        for (WorkerCounters worker : counters) {
            sum += worker.get(counter);
        }
        return sum;
    }

    /** Sum of one of the protocol's own counters over all workers. */
    public long total(ProtocolCounter counter) {
        long sum = 0;
        for (WorkerCounters worker : counters) {
            sum += worker.get(counter);
        }
        return sum;
    }

    /** The pool protocol's own counters, in ordinal order. */
    public List<ProtocolCounter> protocolCounters() {
        return protocolCounters;
    }

    @Override
    public String statusReport() {
        Topology topology = this.topology.get();
        StringBuilder report = new StringBuilder(512);
        report.append('\n');
        long processed = total(Counter.REQUESTS);
        report.append("Number of processed requests [").append(processed >= PROCESSED_CAP ? PROCESSED_CAP + "+" : processed).append("]\n");
        long failed = 0;
        long consecutive = 0;
        int offline = 0;
        for (int i = 0; i < topology.serverCount(); i++) {
            if (!topology.contains(i)) {
                continue;
            }
            ServerHealth health = topology.health(i);
            failed += health.failures();
            consecutive += health.consecutiveFailures();
            offline += health.isOnline() ? 0 : 1;
        }
        report.append("Number of requests failed [").append(failed).append("]\n");
        for (int i = 0; i < topology.serverCount(); i++) {
            if (!topology.contains(i)) {
                continue;
            }
            report.append("  - ").append(topology.health(i).address()).append(" [").append(topology.health(i).failures()).append("]\n");
        }
        report.append("Number of continuous requests failed [").append(consecutive).append("]\n");
        for (int i = 0; i < topology.serverCount(); i++) {
            if (!topology.contains(i)) {
                continue;
            }
            report.append("  - ").append(topology.health(i).address()).append(" [").append(topology.health(i).consecutiveFailures()).append("]\n");
        }
        report.append("All of offline hosts [").append(offline).append("] \n");
        for (int i = 0; i < topology.serverCount(); i++) {
            if (!topology.contains(i)) {
                continue;
            }
            if (!topology.health(i).isOnline()) {
                report.append("  - ").append(topology.health(i).address()).append(" [offline]\n");
            }
        }
        report.append("Number of client connection [").append(clientConnections.getAsInt()).append("]\n");
        report.append("Number of backend connection [").append(backendConnections.getAsLong()).append("]\n");
        report.append("Read timeout of backend connection [").append(settings.get().recvTimeoutMillis()).append("ms]\n");
        report.append("Size of async queue [").append(total(Counter.REPLICATION_IN_FLIGHT)).append("]\n");
        report.append("Async replication dropped [").append(total(Counter.REPLICATION_DROPPED)).append("]\n");
        report.append("Async replication failed [").append(total(Counter.REPLICATION_FAILED)).append("]\n");
        report.append("Sync replication failed [").append(total(Counter.SYNC_FAILED)).append("]\n");
        report.append("Replication accepted [").append(total(Counter.REPLICATION_ACCEPTED)).append("] replicated [")
                .append(total(Counter.REPLICATED)).append("]\n");
        report.append("Keys awaiting repair [").append(repairBacklog.getAsLong()).append("]\n");
        report.append("Uptime [").append(uptimeSeconds()).append("s]\n");
        report.append("Version [kvproxy ").append(version).append("]\n");
        report.append("Worker threads [").append(settings.get().threadCount()).append("]\n");
        report.append("Pool [").append(pool).append("]\n");
        ConfigLoad load = configLoad;
        report.append("Config generation [").append(load.generation()).append("] loaded [")
                .append(load.loadedAt().truncatedTo(ChronoUnit.SECONDS)).append("]\n");
        for (ClusterRole role : ClusterRole.values()) {
            Cluster cluster = topology.cluster(role);
            if (cluster != null) {
                int in = 0;
                for (int s = 0; s < cluster.size(); s++) {
                    in += cluster.health(s).isOnline() ? 1 : 0;
                }
                report.append("Cluster ").append(roleKey(role)).append('=').append(cluster.name())
                        .append(" [").append(in).append('/').append(cluster.size()).append(" in ring]\n");
            }
        }
        report.append('\n');
        return report.toString();
    }

    @Override
    public void forEachStat(StatSink sink) {
        Topology topology = this.topology.get();
        long nowMillis = System.currentTimeMillis();
        sink.stat("pid", Long.toString(ProcessHandle.current().pid()));
        sink.stat("uptime", Long.toString(uptimeSeconds()));
        sink.stat("time", Long.toString(nowMillis / 1000));
        sink.stat("kvproxy_version", version);
        sink.stat("kvproxy_pool", pool);
        sink.stat("pointer_size", "64");
        sink.stat("threads", Integer.toString(settings.get().threadCount()));
        sink.stat("max_connections", Integer.toString(settings.get().maxClients()));
        sink.stat("curr_connections", Integer.toString(clientConnections.getAsInt()));
        sink.stat("total_connections", Long.toString(totalConnections.getAsLong() - resetBase.get(totalConnectionsBase)));
        sink.stat("rejected_connections", Long.toString(refusedConnections.getAsLong() - resetBase.get(rejectedConnectionsBase)));
        // memcached's count of connection objects it holds; the proxy's are its client connections.
        sink.stat("connection_structures", Integer.toString(clientConnections.getAsInt()));
        for (ProtocolCounter counter : protocolCounters) {
            sink.stat(counter.statName(), Long.toString(total(counter) - resetBase.get(counter.ordinal())));
        }
        for (Counter counter : COUNTERS) {
            sink.stat(counter.statName(), Long.toString(total(counter)));
        }
        ConfigLoad load = configLoad;
        sink.stat("kvproxy_config_generation", Long.toString(load.generation()));
        sink.stat("kvproxy_config_loaded", Long.toString(load.loadedAt().getEpochSecond()));
        sink.stat("kvproxy_repair_pending", Long.toString(repairBacklog.getAsLong()));
        sink.stat("kvproxy_worker_allocated_bytes", Long.toString(workerAllocatedBytes.getAsLong()));
        sink.stat("kvproxy_backend_servers", Integer.toString(topology.listedCount()));
        sink.stat("kvproxy_backend_connections", Long.toString(backendConnections.getAsLong()));
        long failures = 0;
        int offline = 0;
        for (int i = 0; i < topology.serverCount(); i++) {
            if (!topology.contains(i)) {
                continue;
            }
            failures += topology.health(i).failures();
            offline += topology.health(i).isOnline() ? 0 : 1;
        }
        sink.stat("kvproxy_backend_failures", Long.toString(failures));
        sink.stat("kvproxy_backend_servers_offline", Integer.toString(offline));
        LatencyStats.forEachStat(topology, timings, sink);
    }

    @Override
    public void forEachSetting(StatSink sink) {
        sink.stat("maxconns", Integer.toString(settings.get().maxClients()));
        sink.stat("tcpport", Integer.toString(settings.get().port()));
        sink.stat("inter", settings.get().bind());
        sink.stat("num_threads", Integer.toString(settings.get().threadCount()));
        sink.stat("item_size_max", Integer.toString(settings.get().maxPacketBytes()));
        sink.stat("idle_timeout", Integer.toString(settings.get().idleTimeoutSeconds()));
    }

    @Override
    public void resetStats() {
        for (ProtocolCounter counter : protocolCounters) {
            if (counter.resetByStatsReset()) {
                resetBase.set(counter.ordinal(), total(counter));
            }
        }
        resetBase.set(totalConnectionsBase, totalConnections.getAsLong());
        resetBase.set(rejectedConnectionsBase, refusedConnections.getAsLong());
    }

    private long uptimeSeconds() {
        return (System.currentTimeMillis() - startMillis) / 1000;
    }

    private static String roleKey(ClusterRole role) {
        return switch (role) {
            case MASTER -> "hosts";
            case BACKUP -> "hosts_backup";
            case READ -> "hosts_read";
        };
    }
}
