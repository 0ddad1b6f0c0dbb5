package io.kvproxy.daemon;

import io.kvproxy.config.PoolSettings;
import io.kvproxy.config.ProxyConfig;
import io.kvproxy.config.ProxySettings;
import io.kvproxy.net.ClientSlots;
import io.kvproxy.net.Clock;
import io.kvproxy.net.CpuAffinity;
import io.kvproxy.net.HealthMonitor;
import io.kvproxy.net.Pool;
import io.kvproxy.net.RejoinGateOverWorkers;
import io.kvproxy.net.ServerProbe;
import io.kvproxy.net.StopTally;
import io.kvproxy.net.Worker;
import io.kvproxy.net.WorkerContext;
import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.HashTag;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Protocol;
import io.kvproxy.stats.ProxyState;
import io.kvproxy.stats.WorkerCounters;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running proxy: the pools (a listener, a protocol and a topology each), the workers that serve them
 * all, and the state they share. Built from a validated config and each pool's loaded protocol; {@link
 * #start()} binds and starts the workers, {@link #stop(String)} closes the listeners, lets the workers
 * finish what is in flight, waits for them and logs what was left undone.
 */
public final class Daemon {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** How long {@link #stop(String)} lets in-flight requests finish. */
    static final long STOP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final ProxyConfig config;
    private final List<Protocol> protocols;
    private final String version;
    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<HealthMonitor> monitors = new ArrayList<>();
    private final List<Thread> monitorThreads = new ArrayList<>();
    private final List<ProxyState> states = new ArrayList<>();

    /** @param protocols each pool's protocol, in the order of {@link ProxyConfig#pools()} */
    public Daemon(ProxyConfig config, List<Protocol> protocols, String version) {
        this.config = config;
        this.protocols = List.copyOf(protocols);
        this.version = version;
    }

    /** Binds every pool's listen address and starts the workers. */
    public void start() throws IOException {
        ProxySettings settings = config.proxy();
        ClientSlots slots = new ClientSlots(settings.maxClients());
        List<Pool> pools = new ArrayList<>();
        for (int p = 0; p < config.pools().size(); p++) {
            PoolSettings pool = config.pools().get(p);
            Protocol protocol = protocols.get(p);
            Topology topology = Topology.build(pool.hosts(), pool.hostsBackup().orElse(null),
                    pool.hostsRead().orElse(null),
                    Distribution.byConfigName(pool.distribution()).orElseThrow(),
                    HashFunction.byConfigName(pool.hash()).orElseThrow(),
                    pool.hashTag().flatMap(HashTag::parse).orElse(null),
                    pool.syncPrefix().getBytes(StandardCharsets.UTF_8));
            ServerSocketChannel listener = ServerSocketChannel.open();
            listeners.add(listener);
            listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            try {
                listener.bind(new InetSocketAddress(pool.listenHost(), pool.listenPort()), settings.backlog());
            } catch (IOException e) {
                throw new IOException("pool [" + pool.name() + "] cannot listen on " + pool.listenAddress() + ": " + e.getMessage(), e);
            }
            listener.configureBlocking(false);
            List<WorkerCounters> counters = new ArrayList<>();
            for (int i = 0; i < settings.threadCount(); i++) {
                counters.add(new WorkerCounters());
            }
            int index = p;
            int backendConnections = settings.threadCount() * topology.serverCount() * protocol.backendKinds();
            ProxyState state = new ProxyState(version, pool.name(), settings, topology, counters, slots::used, slots::accepted,
                    slots::refused, backendConnections, this::workerAllocatedBytes, () -> repairBacklog(index));
            states.add(state);
            pools.add(new Pool(p, pool.name(), listener, protocol, topology, state, counters));
        }
        CpuAffinity affinity = settings.cpuAffinity() ? new LinuxCpuAffinity(Runtime.getRuntime().availableProcessors()) : CpuAffinity.NONE;
        WorkerContext context = new WorkerContext(pools, slots, Clock.SYSTEM, affinity,
                TimeUnit.MILLISECONDS.toNanos(settings.recvTimeoutMillis()),
                TimeUnit.MILLISECONDS.toNanos(settings.connectTimeoutMillis()),
                TimeUnit.SECONDS.toNanos(settings.failoverIntervalSeconds()),
                TimeUnit.SECONDS.toNanos(settings.idleTimeoutSeconds()),
                settings.maxPacketBytes(),
                (settings.asyncSize() + settings.threadCount() - 1) / settings.threadCount(),
                settings.threadCount());
        for (int i = 0; i < settings.threadCount(); i++) {
            workers.add(new Worker(i, context));
        }
        for (Pool pool : pools) {
            HealthMonitor monitor = new HealthMonitor(pool.name(), pool.topology(), settings.failoverThreshold(),
                    TimeUnit.SECONDS.toMillis(settings.failoverIntervalSeconds()),
                    new ServerProbe(pool.protocol(), Clock.SYSTEM, settings.connectTimeoutMillis(), settings.recvTimeoutMillis(),
                            settings.maxPacketBytes()),
                    new RejoinGateOverWorkers(workers, pool.index(), TimeUnit.MILLISECONDS.toNanos(
                            settings.connectTimeoutMillis() + 2L * settings.recvTimeoutMillis() + 100)));
            Thread thread = new Thread(monitor, "kvproxy-health-" + pool.name());
            thread.setDaemon(true);
            monitors.add(monitor);
            monitorThreads.add(thread);
            thread.start();
        }
        for (Worker worker : workers) {
            Thread thread = new Thread(worker, "kvproxy-worker-" + worker.index());
            threads.add(thread);
            thread.start();
        }
        for (PoolSettings pool : config.pools()) {
            log.warn("kvproxy {} pool [{}] listening on {} with {} workers; hosts={} ({} servers)", version, pool.name(),
                    pool.listenAddress(), workers.size(), pool.hosts().name(), pool.hosts().servers().size());
        }
    }

    /**
     * Bytes the JVM has allocated on the worker threads since they started: the request path should add
     * nothing per request, and {@code stats} shows this so that it can be checked on a running proxy.
     */
    private long workerAllocatedBytes() {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean allocation)) {
            return -1;
        }
        long total = 0;
        for (Thread thread : this.threads) {
            total += allocation.getThreadAllocatedBytes(thread.getId());
        }
        return total;
    }

    /** Keys the workers hold for repair in one pool: servers that must have them deleted before they are trusted. */
    private long repairBacklog(int pool) {
        long total = 0;
        for (Worker worker : workers) {
            total += worker.repairBacklog(pool);
        }
        return total;
    }

    /** Each pool's reports, in the order of {@link ProxyConfig#pools()}. */
    public List<ProxyState> states() {
        return List.copyOf(states);
    }

    /** The sum of one counter over every pool. */
    private long total(Counter counter) {
        long sum = 0;
        for (ProxyState state : states) {
            sum += state.total(counter);
        }
        return sum;
    }

    /**
     * Stops: the listener closes first, so a new connect is refused rather than left waiting on a proxy
     * that will not serve it; the workers finish the requests and replicas in flight (up to 5 s) and
     * exit; one line then states what was left undone. Called once, by the shutdown hook.
     *
     * @param reason why the daemon stops, for the log
     */
    public void stop(String reason) {
        long startNanos = System.nanoTime();
        closeListeners();
        log.warn("kvproxy stopping ({}): listener closed; finishing requests and replicas in flight for up to {} ms",
                reason, TimeUnit.NANOSECONDS.toMillis(STOP_GRACE_NANOS));
        for (HealthMonitor monitor : monitors) {
            monitor.stop();
        }
        for (Thread thread : monitorThreads) {
            thread.interrupt();
        }
        for (Worker worker : workers) {
            worker.stop(STOP_GRACE_NANOS);
        }
        for (Thread thread : threads) {
            try {
                thread.join(TimeUnit.NANOSECONDS.toMillis(STOP_GRACE_NANOS) + 2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        logStopSummary(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    private void closeListeners() {
        for (ServerSocketChannel listener : listeners) {
            try {
                // Registered with every worker's selector, the socket is released once each has deregistered
                // it, at its next select: the workers' stop tasks wake them for that.
                listener.close();
            } catch (IOException e) {
                log.warn("closing a listener failed: {}", e.toString());
            }
        }
    }

    /**
     * One line with the totals, whatever the workers' own lines said: requests never answered and
     * replicas given up at stop, and the replication accounting of the whole run.
     */
    private void logStopSummary(long tookMillis) {
        StopTally tally = StopTally.NONE;
        int unfinishedWorkers = 0;
        for (Worker worker : workers) {
            tally = tally.plus(worker.stopTally());
            if (!worker.isStopped()) {
                unfinishedWorkers++;
            }
        }
        log.warn("kvproxy stopped after {} ms: {} requests unanswered, {} replicas given up; since start: {} writes replicated,"
                + " {} replicas dropped (async_size full), {} replicas failed (given up included){}",
                tookMillis, tally.unansweredRequests(), tally.replicasGivenUp(), total(Counter.REPLICATED),
                total(Counter.REPLICATION_DROPPED), total(Counter.REPLICATION_FAILED),
                unfinishedWorkers == 0 ? "" : "; " + unfinishedWorkers + " workers did not finish in time and are not counted");
    }

    /** Blocks until every worker has exited. */
    public void awaitTermination() throws InterruptedException {
        for (Thread thread : threads) {
            thread.join();
        }
    }
}
