package io.kvproxy.daemon;

import io.kvproxy.config.ConfigException;
import io.kvproxy.config.ExtensionSettings;
import io.kvproxy.config.ProxyConfig;
import io.kvproxy.config.ProxySettings;
import io.kvproxy.net.ClientSlots;
import io.kvproxy.net.Clock;
import io.kvproxy.net.CpuAffinity;
import io.kvproxy.net.HealthMonitor;
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
 * The running proxy: the listener, the workers and the state they share. Built from a validated config
 * and a loaded protocol; {@link #start()} binds and starts the workers, {@link #stop(String)} closes the
 * listener, lets the workers finish what is in flight, waits for them and logs what was left undone.
 *
 * <p>As the {@link ConfigApplier} of a reload it applies what it owns itself, the log level, and refuses
 * every other change: the workers, rings and listener are built once in {@link #start()}.
 */
public final class Daemon implements ConfigApplier {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** How long {@link #stop(String)} lets in-flight requests finish. */
    static final long STOP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** The configuration in force: written by the control thread (reload), read once by start. */
    private volatile ProxyConfig config;
    private final Protocol protocol;
    private final String version;
    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private ServerSocketChannel listener;
    private HealthMonitor health;
    private Thread healthThread;
    private ProxyState state;

    public Daemon(ProxyConfig config, Protocol protocol, String version) {
        this.config = config;
        this.protocol = protocol;
        this.version = version;
    }

    /** Binds the port and starts the workers. */
    public void start() throws IOException {
        ProxySettings settings = config.proxy();
        ExtensionSettings extension = config.extension();
        Topology topology = Topology.build(extension.hosts(), extension.hostsBackup().orElse(null),
                extension.hostsRead().orElse(null),
                Distribution.byConfigName(extension.distribution()).orElseThrow(),
                HashFunction.byConfigName(extension.hash()).orElseThrow(),
                extension.hashTag().flatMap(HashTag::parse).orElse(null),
                extension.syncPrefix().getBytes(StandardCharsets.UTF_8));
        listener = ServerSocketChannel.open();
        listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        listener.bind(new InetSocketAddress(settings.bind(), settings.port()), settings.backlog());
        listener.configureBlocking(false);

        ClientSlots slots = new ClientSlots(settings.maxClients());
        List<WorkerCounters> counters = new ArrayList<>();
        for (int i = 0; i < settings.threadCount(); i++) {
            counters.add(new WorkerCounters());
        }
        int backendConnections = settings.threadCount() * topology.serverCount() * protocol.backendKinds();
        state = new ProxyState(version, settings, topology, counters, slots::used, slots::accepted, slots::refused,
                backendConnections, this::workerAllocatedBytes, this::repairBacklog);
        CpuAffinity affinity = settings.cpuAffinity() ? new LinuxCpuAffinity(Runtime.getRuntime().availableProcessors()) : CpuAffinity.NONE;
        WorkerContext context = new WorkerContext(listener, protocol, topology, state, slots, Clock.SYSTEM, affinity,
                TimeUnit.MILLISECONDS.toNanos(settings.recvTimeoutMillis()),
                TimeUnit.MILLISECONDS.toNanos(settings.connectTimeoutMillis()),
                TimeUnit.SECONDS.toNanos(settings.failoverIntervalSeconds()),
                TimeUnit.SECONDS.toNanos(settings.idleTimeoutSeconds()),
                settings.maxPacketBytes(),
                (settings.asyncSize() + settings.threadCount() - 1) / settings.threadCount());
        for (int i = 0; i < settings.threadCount(); i++) {
            workers.add(new Worker(i, context, counters.get(i)));
        }
        health = new HealthMonitor(topology, settings.failoverThreshold(),
                TimeUnit.SECONDS.toMillis(settings.failoverIntervalSeconds()),
                new ServerProbe(protocol, Clock.SYSTEM, settings.connectTimeoutMillis(), settings.recvTimeoutMillis(),
                        settings.maxPacketBytes()),
                new RejoinGateOverWorkers(workers, TimeUnit.MILLISECONDS.toNanos(
                        settings.connectTimeoutMillis() + 2L * settings.recvTimeoutMillis() + 100)));
        healthThread = new Thread(health, "kvproxy-health");
        healthThread.setDaemon(true);
        healthThread.start();
        for (Worker worker : workers) {
            Thread thread = new Thread(worker, "kvproxy-worker-" + worker.index());
            threads.add(thread);
            thread.start();
        }
        log.warn("kvproxy {} listening on {}:{} with {} workers; hosts={} ({} servers)", version, settings.bind(),
                settings.port(), workers.size(), extension.hosts().name(), extension.hosts().servers().size());
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

    /** Keys the workers hold for repair: servers that must have them deleted before they are trusted. */
    private long repairBacklog() {
        long total = 0;
        for (Worker worker : workers) {
            total += worker.repairBacklog();
        }
        return total;
    }

    /**
     * Applies a new configuration that differs from the running one in the log level only; any other
     * difference refuses it whole, each named with its line, since this daemon cannot apply it without
     * a restart.
     */
    @Override
    public List<String> apply(ProxyConfig next) throws ConfigException {
        ProxyConfig running = config;
        List<String> changes = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (ConfigDifference difference : ConfigDifference.between(running, next)) {
            if (difference.section().equals("kvproxy") && difference.key().equals("log_level")) {
                changes.add(difference.describe());
            } else {
                problems.add(ConfigException.problem(next.file(), difference.line(), difference.section(), difference.key(),
                        difference.before() + " → " + difference.after() + " cannot be applied live yet; restart kvproxy to apply it"));
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        if (!changes.isEmpty()) {
            LogSetup.setLevel(next.proxy().logLevel());
        }
        config = next;
        return changes;
    }

    public ProxyState state() {
        return state;
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
        closeListener();
        log.warn("kvproxy stopping ({}): listener closed; finishing requests and replicas in flight for up to {} ms",
                reason, TimeUnit.NANOSECONDS.toMillis(STOP_GRACE_NANOS));
        if (health != null) {
            health.stop();
            healthThread.interrupt();
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

    private void closeListener() {
        if (listener == null) {
            return;
        }
        try {
            // Registered with every worker's selector, the socket is released once each has deregistered
            // it, at its next select: the workers' stop tasks wake them for that.
            listener.close();
        } catch (IOException e) {
            log.warn("closing the listener failed: {}", e.toString());
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
                tookMillis, tally.unansweredRequests(), tally.replicasGivenUp(), state.total(Counter.REPLICATED),
                state.total(Counter.REPLICATION_DROPPED), state.total(Counter.REPLICATION_FAILED),
                unfinishedWorkers == 0 ? "" : "; " + unfinishedWorkers + " workers did not finish in time and are not counted");
    }

    /** Blocks until every worker has exited. */
    public void awaitTermination() throws InterruptedException {
        for (Thread thread : threads) {
            thread.join();
        }
    }
}
