package io.kvproxy.stats;

import io.kvproxy.config.ProxySettings;
import io.kvproxy.route.Cluster;
import io.kvproxy.route.ServerHealth;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.ProxyView;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The proxy's state as clients may ask for it: the original kvproxy {@code status} report (line for line,
 * then kvproxy-java's own lines) and memcached-style {@code stats}. Reads every worker's counters; safe
 * from any thread.
 */
public final class ProxyState implements ProxyView {

    /** The original printed "N+" from this count on; kept so scripts that parse it keep working. */
    private static final long PROCESSED_CAP = 2_100_000_000L;

    private final String version;
    private final ProxySettings settings;
    private final Topology topology;
    private final List<WorkerCounters> counters;
    private final IntSupplier clientConnections;
    private final LongSupplier totalConnections;
    private final LongSupplier refusedConnections;
    private final int backendConnections;
    private final LongSupplier workerAllocatedBytes;
    private final LongSupplier repairBacklog;
    private final long startMillis = System.currentTimeMillis();
    /** The configuration in force: replaced whole by the control thread, read by any. */
    private volatile ConfigLoad configLoad = new ConfigLoad(0, Instant.EPOCH);

    /** The configuration in force: its generation (1 at start, +1 per applied reload) and when it was loaded. */
    public record ConfigLoad(long generation, Instant loadedAt) {
    }

    public ProxyState(String version, ProxySettings settings, Topology topology, List<WorkerCounters> counters,
                      IntSupplier clientConnections, LongSupplier totalConnections, LongSupplier refusedConnections,
                      int backendConnections, LongSupplier workerAllocatedBytes, LongSupplier repairBacklog) {
        this.version = version;
        this.settings = settings;
        this.topology = topology;
        this.counters = List.copyOf(counters);
        this.clientConnections = clientConnections;
        this.totalConnections = totalConnections;
        this.refusedConnections = refusedConnections;
        this.backendConnections = backendConnections;
        this.workerAllocatedBytes = workerAllocatedBytes;
        this.repairBacklog = repairBacklog;
    }

    /** Records the configuration now in force, for {@code status} and {@code stats}. */
    public void configLoaded(long generation, Instant loadedAt) {
        configLoad = new ConfigLoad(generation, loadedAt);
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

    @Override
    public String statusReport() {
        StringBuilder report = new StringBuilder(512);
        report.append('\n');
        long processed = total(Counter.REQUESTS);
        report.append("Number of processed requests [").append(processed >= PROCESSED_CAP ? PROCESSED_CAP + "+" : processed).append("]\n");
        long failed = 0;
        long consecutive = 0;
        int offline = 0;
        for (int i = 0; i < topology.serverCount(); i++) {
            ServerHealth health = topology.health(i);
            failed += health.failures();
            consecutive += health.consecutiveFailures();
            offline += health.isOnline() ? 0 : 1;
        }
        report.append("Number of requests failed [").append(failed).append("]\n");
        for (int i = 0; i < topology.serverCount(); i++) {
            report.append("  - ").append(topology.health(i).address()).append(" [").append(topology.health(i).failures()).append("]\n");
        }
        report.append("Number of continuous requests failed [").append(consecutive).append("]\n");
        for (int i = 0; i < topology.serverCount(); i++) {
            report.append("  - ").append(topology.health(i).address()).append(" [").append(topology.health(i).consecutiveFailures()).append("]\n");
        }
        report.append("All of offline hosts [").append(offline).append("] \n");
        for (int i = 0; i < topology.serverCount(); i++) {
            if (!topology.health(i).isOnline()) {
                report.append("  - ").append(topology.health(i).address()).append(" [offline]\n");
            }
        }
        report.append("Number of client connection [").append(clientConnections.getAsInt()).append("]\n");
        report.append("Number of backend connection [").append(backendConnections).append("]\n");
        report.append("Read timeout of backend connection [").append(settings.recvTimeoutMillis()).append("ms]\n");
        report.append("Size of async queue [").append(total(Counter.REPLICATION_IN_FLIGHT)).append("]\n");
        report.append("Async replication dropped [").append(total(Counter.REPLICATION_DROPPED)).append("]\n");
        report.append("Async replication failed [").append(total(Counter.REPLICATION_FAILED)).append("]\n");
        report.append("Sync replication failed [").append(total(Counter.SYNC_FAILED)).append("]\n");
        report.append("Replication accepted [").append(total(Counter.REPLICATION_ACCEPTED)).append("] replicated [")
                .append(total(Counter.REPLICATED)).append("]\n");
        report.append("Keys awaiting repair [").append(repairBacklog.getAsLong()).append("]\n");
        report.append("Uptime [").append(uptimeSeconds()).append("s]\n");
        report.append("Version [kvproxy ").append(version).append("]\n");
        report.append("Worker threads [").append(settings.threadCount()).append("]\n");
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
        long nowMillis = System.currentTimeMillis();
        sink.stat("pid", Long.toString(ProcessHandle.current().pid()));
        sink.stat("uptime", Long.toString(uptimeSeconds()));
        sink.stat("time", Long.toString(nowMillis / 1000));
        sink.stat("version", version);
        sink.stat("pointer_size", "64");
        sink.stat("threads", Integer.toString(settings.threadCount()));
        sink.stat("max_connections", Integer.toString(settings.maxClients()));
        sink.stat("curr_connections", Integer.toString(clientConnections.getAsInt()));
        sink.stat("total_connections", Long.toString(totalConnections.getAsLong()));
        sink.stat("rejected_connections", Long.toString(refusedConnections.getAsLong()));
        for (Counter counter : Counter.values()) {
            sink.stat(counter.statName(), Long.toString(total(counter)));
        }
        ConfigLoad load = configLoad;
        sink.stat("config_generation", Long.toString(load.generation()));
        sink.stat("config_loaded", Long.toString(load.loadedAt().getEpochSecond()));
        sink.stat("repair_pending", Long.toString(repairBacklog.getAsLong()));
        sink.stat("worker_allocated_bytes", Long.toString(workerAllocatedBytes.getAsLong()));
        sink.stat("backend_servers", Integer.toString(topology.serverCount()));
        sink.stat("backend_connections", Integer.toString(backendConnections));
        long failures = 0;
        int offline = 0;
        for (int i = 0; i < topology.serverCount(); i++) {
            failures += topology.health(i).failures();
            offline += topology.health(i).isOnline() ? 0 : 1;
        }
        sink.stat("backend_failures", Long.toString(failures));
        sink.stat("backend_servers_offline", Integer.toString(offline));
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
