package io.kvproxy.daemon;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ConfigException;
import io.kvproxy.config.PoolSettings;
import io.kvproxy.config.ProxyConfig;
import io.kvproxy.config.ProxySettings;
import io.kvproxy.config.ServerSpec;
import io.kvproxy.net.ClientSlots;
import io.kvproxy.net.Clock;
import io.kvproxy.net.CpuAffinity;
import io.kvproxy.net.HealthMonitor;
import io.kvproxy.net.LiveSettings;
import io.kvproxy.net.Pool;
import io.kvproxy.net.RejoinGateOverWorkers;
import io.kvproxy.net.ServerProbe;
import io.kvproxy.net.StopTally;
import io.kvproxy.net.Worker;
import io.kvproxy.net.WorkerContext;
import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.HashTag;
import io.kvproxy.route.ServerDirectory;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Protocol;
import io.kvproxy.stats.PrometheusMetrics;
import io.kvproxy.stats.ProxyState;
import io.kvproxy.stats.ServerTimings;
import io.kvproxy.stats.ServerCounters;
import io.kvproxy.stats.ServerCounters.ServerField;
import io.kvproxy.stats.TwemproxyStats;
import io.kvproxy.stats.WorkerCounters;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The running proxy: the pools (a listener, a protocol and a topology each), the workers that serve them
 * all, and the state they share. Built from a validated config and each pool's loaded protocol; {@link
 * #start()} binds and starts the workers, {@link #stop(String)} closes the listeners, lets the workers
 * finish what is in flight, waits for them and logs what was left undone.
 *
 * <p>It is also the {@link ConfigApplier} of a reload ({@link #apply}).
 */
public final class Daemon implements ConfigApplier {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** How long {@link #stop(String)} lets in-flight requests finish. */
    static final long STOP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How long a reload waits for every worker to take a pool's new servers. */
    private static final long ADOPT_TIMEOUT_SECONDS = 10;

    /** The configuration applied now: the one started with, or the last reload's. */
    private volatile ProxyConfig config;
    private final List<Protocol> protocols;
    private final Extensions extensions;
    /** The configuration's generation and load time, for the reports of pools a reload adds. */
    private volatile long generation = 1;
    private volatile java.time.Instant loadedAt = java.time.Instant.now();
    /** By pool number; read by reports on any thread, so copied on write. */
    private final List<Pool> pools = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The number of each pool running now, by name (a removed pool's number is never reused). */
    private final Map<String, Integer> running = new LinkedHashMap<>();
    /** Each pool's server numbers, kept across reloads. */
    private final List<ServerDirectory> directories = new ArrayList<>();
    private final String version;
    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<HealthMonitor> monitors = new ArrayList<>();
    private final List<Thread> monitorThreads = new ArrayList<>();
    private final List<ProxyState> states = new ArrayList<>();
    private final List<RejoinGateOverWorkers> gates = new ArrayList<>();
    private ClientSlots slots;
    /** The reports of the pools served now, for {@code /metrics}: republished whole when a reload adds or removes a pool. */
    private volatile List<ProxyState> served = List.of();
    /** {@code metrics_port}'s server, or null when there is none. */
    private MetricsEndpoint metrics;
    /** The pools the stats port reports: replaced whole by the control thread when pools start, are added or removed. */
    private volatile List<TwemproxyStats.PoolSource> reported = List.of();
    private final long startMillis = System.currentTimeMillis();
    private StatsPort statsPort;
    private List<String> unreachableAtStart = List.of();

    /**
     * @param protocols each pool's protocol, in the order of {@link ProxyConfig#pools()}
     * @param extensions the extensions loaded, for the protocols of pools a reload adds
     */
    Daemon(ProxyConfig config, List<Protocol> protocols, Extensions extensions, String version) {
        this.config = config;
        this.protocols = List.copyOf(protocols);
        this.extensions = extensions;
        this.version = version;
    }

    /** The configuration in force is generation {@code generation}, loaded at {@code loadedAt}: every pool's reports say so. */
    void configLoaded(long generation, java.time.Instant loadedAt) {
        this.generation = generation;
        this.loadedAt = loadedAt;
        for (ProxyState state : states) {
            state.configLoaded(generation, loadedAt);
        }
    }

    /** Binds every pool's listen address and starts the workers. */
    public void start() throws IOException {
        ProxySettings settings = config.proxy();
        slots = new ClientSlots(settings.maxClients());
        List<ServerSocketChannel> bound = bind(config.pools(), settings);
        if (settings.metricsPort() != 0) {
            try {
                metrics = MetricsEndpoint.start(settings.bind(), settings.metricsPort(),
                        new PrometheusMetrics(() -> served, slots::used, slots::accepted, slots::refused));
            } catch (IOException e) {
                for (ServerSocketChannel listener : bound) {
                    listener.close();
                }
                throw e;
            }
        }
        for (int p = 0; p < config.pools().size(); p++) {
            pools.add(newPool(p, config.pools().get(p), protocols.get(p), bound.get(p), settings));
            running.put(config.pools().get(p).name(), p);
        }
        publishServed();
        CpuAffinity affinity = settings.cpuAffinity() ? new LinuxCpuAffinity(Runtime.getRuntime().availableProcessors()) : CpuAffinity.NONE;
        WorkerContext context = new WorkerContext(pools, slots, Clock.SYSTEM, affinity, live(settings),
                settings.maxPacketBytes(), settings.threadCount());
        for (int i = 0; i < settings.threadCount(); i++) {
            workers.add(new Worker(i, context));
        }
        for (Pool pool : pools) {
            startMonitor(pool, settings);
        }
        refreshReported();
        if (settings.statsPort() != 0) {
            startStatsPort(settings);
        }
        for (Worker worker : workers) {
            Thread thread = new Thread(worker, "kvproxy-worker-" + worker.index());
            threads.add(thread);
            thread.start();
        }
        for (PoolSettings pool : config.pools()) {
            log.info("kvproxy {} pool [{}] listening on {} with {} workers; hosts={} ({} servers)", version, pool.name(),
                    pool.listenAddress(), workers.size(), pool.hosts().name(), pool.hosts().servers().size());
        }
        unreachableAtStart = StartProbe.unreachable(pools, protocol -> probe(protocol, settings));
        for (String line : unreachableAtStart) {
            log.warn(line);
        }
    }

    /**
     * One line per pool some of whose servers did not answer a probe at start (empty when all did), for the
     * log and the terminal: the proxy serves anyway, and each such server joins once it answers.
     */
    List<String> unreachableAtStart() {
        return unreachableAtStart;
    }


    private void startStatsPort(ProxySettings settings) throws IOException {
        TwemproxyStats stats = new TwemproxyStats(version, hostName(), startMillis, slots::accepted, slots::used, () -> reported);
        try {
            statsPort = StatsPort.bind(settings.bind(), settings.statsPort(), stats);
        } catch (IOException e) {
            closeListeners();
            throw e;
        }
        Thread thread = new Thread(statsPort, "kvproxy-stats-port");
        thread.setDaemon(true);
        thread.start();
        log.info("kvproxy {} stats port on {}: twemproxy's JSON to whoever connects", version, statsPort.address());
    }

    /** The host's name, as nutcracker's {@code source} gives it. */
    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** What the stats port reports: the pools running now, in their config order. */
    private void refreshReported() {
        List<TwemproxyStats.PoolSource> now = new ArrayList<>();
        for (int index : running.values()) {
            Pool pool = pools.get(index);
            now.add(new TwemproxyStats.PoolSource(pool.name(), states.get(index), pool::topology, pool.serverCounters()));
        }
        reported = List.copyOf(now);
    }

    /** A listener for each pool, bound; on a failure, those bound are closed and the failure names its pool. */
    private static List<ServerSocketChannel> bind(List<PoolSettings> pools, ProxySettings settings) throws IOException {
        List<ServerSocketChannel> bound = new ArrayList<>();
        for (PoolSettings pool : pools) {
            ServerSocketChannel listener = ServerSocketChannel.open();
            bound.add(listener);
            try {
                listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                listener.bind(new InetSocketAddress(pool.listenHost(), pool.listenPort()), settings.backlog());
                listener.configureBlocking(false);
            } catch (IOException e) {
                for (ServerSocketChannel opened : bound) {
                    opened.close();
                }
                throw new IOException("pool [" + pool.name() + "] cannot listen on " + pool.listenAddress() + ": " + e.getMessage(), e);
            }
        }
        return bound;
    }

    /** Pool number {@code index}: its directory, topology, counters and reports (the lists grow by one). */
    private Pool newPool(int index, PoolSettings settings, Protocol protocol, ServerSocketChannel listener, ProxySettings proxy) {
        ServerDirectory directory = new ServerDirectory();
        directories.add(directory);
        listeners.add(listener);
        Topology topology = topologyFor(directory, settings);
        List<WorkerCounters> counters = new ArrayList<>();
        List<ServerCounters> serverCounters = new ArrayList<>();
        for (int i = 0; i < proxy.threadCount(); i++) {
            counters.add(new WorkerCounters(protocol.counters().size()));
            serverCounters.add(new ServerCounters(directory.size()));
        }
        ServerTimings timings = new ServerTimings(proxy.threadCount());
        LongSupplier backendConnections = () -> {
            long connected = 0;
            for (ServerCounters worker : serverCounters) {
                connected += worker.total(ServerField.SERVER_CONNECTIONS);
            }
            return connected;
        };
        ProxyState state = new ProxyState(version, settings.name(), () -> config.proxy(), () -> pools.get(index).topology(),
                protocol.counters(), counters,
                slots::used, slots::accepted, slots::refused, backendConnections, this::workerAllocatedBytes, () -> repairBacklog(index),
                timings);
        state.configLoaded(generation, loadedAt);
        states.add(state);
        return new Pool(index, settings.name(), listener, protocol, topology, state, counters, timings, serverCounters);
    }

    private void startMonitor(Pool pool, ProxySettings settings) {
        RejoinGateOverWorkers gate = new RejoinGateOverWorkers(workers, pool.index(), rejoinTimeoutNanos(settings));
        gates.add(gate);
        HealthMonitor monitor = new HealthMonitor(pool.name(), pool::topology, settings.failoverThreshold(),
                TimeUnit.SECONDS.toMillis(settings.failoverIntervalSeconds()), probe(pool.protocol(), settings), gate, Clock.SYSTEM);
        Thread thread = new Thread(monitor, "kvproxy-health-" + pool.name());
        thread.setDaemon(true);
        monitors.add(monitor);
        monitorThreads.add(thread);
        thread.start();
    }

    private static LiveSettings live(ProxySettings settings) {
        return new LiveSettings(TimeUnit.MILLISECONDS.toNanos(settings.recvTimeoutMillis()),
                TimeUnit.MILLISECONDS.toNanos(settings.connectTimeoutMillis()),
                TimeUnit.SECONDS.toNanos(settings.failoverIntervalSeconds()),
                TimeUnit.SECONDS.toNanos(settings.idleTimeoutSeconds()),
                (settings.asyncSize() + settings.threadCount() - 1) / settings.threadCount());
    }

    private static ServerProbe probe(Protocol protocol, ProxySettings settings) {
        return new ServerProbe(protocol, Clock.SYSTEM, settings.connectTimeoutMillis(), settings.recvTimeoutMillis(),
                settings.maxPacketBytes());
    }

    /** How long a worker may take to connect to a rejoining server and have its repair deletes answered. */
    private static long rejoinTimeoutNanos(ProxySettings settings) {
        return TimeUnit.MILLISECONDS.toNanos(settings.connectTimeoutMillis() + 2L * settings.recvTimeoutMillis() + 100);
    }

    private static Topology topologyFor(ServerDirectory directory, PoolSettings pool) {
        return Topology.build(directory, pool.hosts(), pool.hostsBackup().orElse(null), pool.hostsRead().orElse(null),
                Distribution.byConfigName(pool.distribution()).orElseThrow(),
                HashFunction.byConfigName(pool.hash()).orElseThrow(),
                pool.hashTag().flatMap(HashTag::parse).orElse(null),
                pool.syncPrefix().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Applies a reload's configuration, already validated whole, without dropping a client or failing a
     * request; returns one line per change. What changes live: a pool's clusters (servers added, removed,
     * re-weighted, moved to another address, or a cluster replaced), hash, distribution, hash_tag and
     * sync_str. Anything else that differs is refused, naming it, and nothing is applied.
     *
     * <p>Each pool's new topology is built over the pool's {@link ServerDirectory}, so a server that
     * stays keeps its number, health and connections; it is then published by the pool's health monitor
     * thread (the one thread that changes routing state) and adopted by every worker, and this returns
     * once all have.
     *
     * @throws ConfigException listing what cannot change without a restart
     */
    @Override
    public synchronized List<String> apply(ProxyConfig next) throws ConfigException {
        ProxyConfig current = config;
        List<String> refused = new ArrayList<>(restartOnly(current.proxy(), next));
        Map<String, PoolSettings> before = new LinkedHashMap<>();
        current.pools().forEach(pool -> before.put(pool.name(), pool));
        List<PoolSettings> added = new ArrayList<>();
        for (PoolSettings now : next.pools()) {
            PoolSettings old = before.get(now.name());
            if (old == null) {
                added.add(now);
                continue;
            }
            if (!old.listenAddress().equals(now.listenAddress())) {
                refused.add(problem(next, now.name(), "listen", "a pool's listen address cannot change while kvproxy runs: restart it,"
                        + " or add the pool under another name and remove this one"));
            }
            if (!old.jar().equals(now.jar())) {
                refused.add(problem(next, now.name(), "extension", "a pool's extension cannot change while kvproxy runs:"
                        + " restart it, or add the pool under another name and remove this one"));
            } else {
                refused.addAll(protocolKeysChanged(next, old, now));
            }
        }
        List<Protocol> addedProtocols = new ArrayList<>();
        for (PoolSettings pool : added) {
            try {
                addedProtocols.add(extensions.protocol(next, pool));
            } catch (ConfigException e) {
                refused.addAll(e.problems());
            }
        }
        List<ServerSocketChannel> bound = List.of();
        if (refused.isEmpty() && !added.isEmpty()) {
            try {
                // A port that cannot be had refuses the whole file before anything changed.
                bound = bind(added, current.proxy());
            } catch (IOException e) {
                refused.add(problem(next, null, null, e.getMessage()));
            }
        }
        if (!refused.isEmpty()) {
            throw new ConfigException(refused);
        }

        List<String> changes = new ArrayList<>(applySettings(current.proxy(), next.proxy()));
        Set<String> kept = new HashSet<>();
        next.pools().forEach(pool -> kept.add(pool.name()));
        for (PoolSettings old : current.pools()) {
            if (!kept.contains(old.name())) {
                removePool(indexOf(old.name()));
                changes.add("pool " + old.name() + " removed: " + old.listenAddress() + " closed; its clients get the replies to what"
                        + " they sent, then are disconnected");
            }
        }
        for (PoolSettings now : next.pools()) {
            PoolSettings old = before.get(now.name());
            if (old == null) {
                continue;
            }
            String change = describe(old, now);
            if (change.isEmpty()) {
                // The same servers, ids and weights (a file edited elsewhere only moves lines).
                continue;
            }
            int p = indexOf(now.name());
            publish(p, topologyFor(directories.get(p), now));
            changes.add("pool " + now.name() + ": " + change);
        }
        for (int a = 0; a < added.size(); a++) {
            PoolSettings pool = added.get(a);
            addPool(pool, addedProtocols.get(a), bound.get(a), next.proxy());
            changes.add("pool " + pool.name() + " added: listening on " + pool.listenAddress() + "; hosts=" + pool.hosts().name()
                    + " (" + pool.hosts().servers().size() + " servers)");
        }
        config = next;
        return changes;
    }

    /**
     * A pool's protocol keys that {@code now} changes from {@code old}, one problem each, at its line (a key
     * removed: at the pool's extension line): the running protocol made every session and backend handshake
     * from them. The values are not named, since an extension's key may hold a password (redis_auth).
     */
    private static List<String> protocolKeysChanged(ProxyConfig next, PoolSettings old, PoolSettings now) {
        Set<String> keys = new TreeSet<>(old.protocolSettings().keySet());
        keys.addAll(now.protocolSettings().keySet());
        List<String> refused = new ArrayList<>();
        for (String key : keys) {
            String before = old.protocolSettings().get(key);
            String after = now.protocolSettings().get(key);
            if (Objects.equals(before, after)) {
                continue;
            }
            String what = before == null ? "added" : after == null ? "removed" : "changed";
            String message = "a pool's protocol keys cannot change while kvproxy runs (this one was " + what + "): restart it, or add"
                    + " the pool under another name and remove this one";
            refused.add(after == null
                    ? ConfigException.problem(next.file(), next.lineOf(now.name(), "extension"), now.name(), key, message)
                    : problem(next, now.name(), key, message));
        }
        return refused;
    }

    /** The number of the running pool named {@code name}. */
    private int indexOf(String name) {
        Integer index = running.get(name);
        if (index == null) {
            throw new IllegalStateException("no running pool " + name);
        }
        return index;
    }

    private void addPool(PoolSettings settings, Protocol protocol, ServerSocketChannel listener, ProxySettings proxy) throws ConfigException {
        Pool pool = newPool(pools.size(), settings, protocol, listener, proxy);
        pools.add(pool);
        running.put(settings.name(), pool.index());
        publishServed();
        List<CompletableFuture<Void>> added = new ArrayList<>();
        for (Worker worker : workers) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            worker.addPool(pool, done);
            added.add(done);
        }
        await(added, "take pool " + settings.name());
        startMonitor(pool, proxy);
        refreshReported();
    }

    /** Stops accepting on the pool everywhere, then closes its listener and its health monitor. */
    private void removePool(int index) throws ConfigException {
        List<CompletableFuture<Void>> removed = new ArrayList<>();
        for (Worker worker : workers) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            worker.removePool(index, done);
            removed.add(done);
        }
        await(removed, "let go of pool " + pools.get(index).name());
        try {
            listeners.get(index).close();
        } catch (IOException e) {
            log.warn("closing the listener of pool {} failed: {}", pools.get(index).name(), e.toString());
        }
        monitors.get(index).stop();
        monitorThreads.get(index).interrupt();
        running.values().remove(index);
        publishServed();
        refreshReported();
    }

    /** What /metrics reports: the pools running now. */
    private void publishServed() {
        List<ProxyState> now = new ArrayList<>();
        for (int index : running.values()) {
            now.add(states.get(index));
        }
        served = List.copyOf(now);
    }

    private static void await(List<CompletableFuture<Void>> futures, String what) throws ConfigException {
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(ADOPT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new ConfigException(List.of("the workers did not " + what + " within " + ADOPT_TIMEOUT_SECONDS + " s: " + e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException(List.of("interrupted while the workers were to " + what));
        }
    }

    /**
     * [kvproxy] keys the running daemon is built around (its threads, listeners, files and buffers): each
     * that differs from {@code old} in {@code next}, as a problem that names its line and says to restart.
     */
    static List<String> restartOnly(ProxySettings old, ProxyConfig next) {
        ProxySettings now = next.proxy();
        List<String> refused = new ArrayList<>();
        java.util.function.BiConsumer<String, Object[]> check = (key, values) -> {
            if (!values[0].equals(values[1])) {
                refused.add(problem(next, "kvproxy", key, values[0] + " → " + values[1] + " cannot change while kvproxy runs;"
                        + " restart it (sbin/kvproxy restart -c " + next.file() + ")"));
            }
        };
        check.accept("port", new Object[] {old.port(), now.port()});
        check.accept("bind", new Object[] {old.bind(), now.bind()});
        check.accept("thread_count", new Object[] {old.threadCount(), now.threadCount()});
        check.accept("cpu_affinity", new Object[] {old.cpuAffinity(), now.cpuAffinity()});
        check.accept("backlog", new Object[] {old.backlog(), now.backlog()});
        check.accept("log_path", new Object[] {old.logPath(), now.logPath()});
        check.accept("ext_path", new Object[] {old.extPath(), now.extPath()});
        check.accept("max_packet", new Object[] {old.maxPacketBytes(), now.maxPacketBytes()});
        check.accept("metrics_port", new Object[] {old.metricsPort(), now.metricsPort()});
        check.accept("stats_port", new Object[] {old.statsPort(), now.statsPort()});
        return refused;
    }

    /**
     * Applies the [kvproxy] keys that change live: timeouts and async_size on every worker's connections
     * (for requests sent from then on), failover_threshold, failover_interval and the probe on every
     * health monitor, max_clients for new clients, log_level at once. Returns one line per key changed.
     */
    private List<String> applySettings(ProxySettings old, ProxySettings now) throws ConfigException {
        List<String> changes = new ArrayList<>();
        java.util.function.BiConsumer<String, String[]> changed = (key, values) -> {
            if (!values[0].equals(values[1])) {
                changes.add(key + " " + values[0] + " -> " + values[1]);
            }
        };
        changed.accept("recv_timeout", new String[] {old.recvTimeoutMillis() + " ms", now.recvTimeoutMillis() + " ms"});
        changed.accept("connect_timeout", new String[] {old.connectTimeoutMillis() + " ms", now.connectTimeoutMillis() + " ms"});
        changed.accept("idle_timeout", new String[] {old.idleTimeoutSeconds() + " s", now.idleTimeoutSeconds() + " s"});
        changed.accept("failover_threshold", new String[] {Integer.toString(old.failoverThreshold()), Integer.toString(now.failoverThreshold())});
        changed.accept("failover_interval", new String[] {old.failoverIntervalSeconds() + " s", now.failoverIntervalSeconds() + " s"});
        changed.accept("async_size", new String[] {Integer.toString(old.asyncSize()), Integer.toString(now.asyncSize())});
        changed.accept("max_clients", new String[] {Integer.toString(old.maxClients()), Integer.toString(now.maxClients())});
        changed.accept("log_level", new String[] {old.logLevel(), now.logLevel()});
        if (changes.isEmpty()) {
            return changes;
        }
        List<CompletableFuture<Void>> applied = new ArrayList<>();
        LiveSettings live = live(now);
        for (Worker worker : workers) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            worker.applySettings(live, done);
            applied.add(done);
        }
        for (int p = 0; p < monitors.size(); p++) {
            HealthMonitor monitor = monitors.get(p);
            RejoinGateOverWorkers gate = gates.get(p);
            ServerProbe probe = probe(pools.get(p).protocol(), now);
            CompletableFuture<Void> done = new CompletableFuture<>();
            monitor.execute(() -> {
                monitor.applySettings(now.failoverThreshold(), TimeUnit.SECONDS.toMillis(now.failoverIntervalSeconds()), probe);
                gate.setTimeoutNanos(rejoinTimeoutNanos(now));
                done.complete(null);
            });
            applied.add(done);
        }
        slots.setLimit(now.maxClients());
        LogSetup.setLevel(now.logLevel());
        await(applied, "take the new settings");
        return changes;
    }

    /**
     * Publishes {@code topology} for pool {@code p} on its monitor's thread and waits until every worker
     * adopted it. Servers it adds are connected first, by every worker: one that some worker could not
     * connect to within connect_timeout joins the pool out of its ring, as an ejected server does, and
     * comes in once it answers a probe and every worker is ready for it (the rejoin gate).
     */
    private void publish(int p, Topology topology) throws ConfigException {
        Pool pool = pools.get(p);
        List<CompletableFuture<Set<Integer>>> connected = new ArrayList<>();
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.proxy().connectTimeoutMillis() + 100);
        for (Worker worker : workers) {
            CompletableFuture<Set<Integer>> done = new CompletableFuture<>();
            worker.connectAhead(p, topology, timeoutNanos, done);
            connected.add(done);
        }
        Set<Integer> everywhere = null;
        try {
            for (CompletableFuture<Set<Integer>> done : connected) {
                Set<Integer> servers = done.get(ADOPT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                everywhere = everywhere == null ? new HashSet<>(servers) : everywhere;
                everywhere.retainAll(servers);
            }
        } catch (TimeoutException | ExecutionException e) {
            throw new ConfigException(List.of("pool " + pool.name() + ": the workers did not connect to the new servers within "
                    + ADOPT_TIMEOUT_SECONDS + " s (" + e + "); nothing of the pool changed"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException(List.of("interrupted while the workers connected to the new servers"));
        }
        Topology current = pool.topology();
        for (int i = 0; i < topology.serverCount(); i++) {
            boolean added = topology.contains(i) && !current.contains(i);
            if (added && (everywhere == null || !everywhere.contains(i))) {
                topology.health(i).setOnline(false);
                log.warn("pool {}: server {} added out of the ring: not every worker could connect to it; it comes in"
                        + " once it answers a probe", pool.name(), topology.health(i).address());
            } else if (added) {
                topology.health(i).setOnline(true);
            }
        }
        topology.rebuildRings();
        CompletableFuture<Void> published = new CompletableFuture<>();
        monitors.get(p).execute(() -> {
            pool.publish(topology);
            List<CompletableFuture<Void>> adopted = new ArrayList<>();
            for (Worker worker : workers) {
                CompletableFuture<Void> done = new CompletableFuture<>();
                worker.adopt(p, topology, done);
                adopted.add(done);
            }
            CompletableFuture.allOf(adopted.toArray(CompletableFuture[]::new))
                    .whenComplete((ignored, error) -> published.complete(null));
        });
        try {
            published.get(ADOPT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new ConfigException(List.of("pool " + pool.name() + ": the workers did not take the new servers within "
                    + ADOPT_TIMEOUT_SECONDS + " s (" + e + "); some may route on the old ones until they do"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException(List.of("interrupted while the workers took the new servers"));
        }
    }

    /** What differs between a pool's two settings, for the log. */
    private static String describe(PoolSettings old, PoolSettings now) {
        List<String> parts = new ArrayList<>();
        describeCluster("hosts", Optional.of(old.hosts()), Optional.of(now.hosts()), parts);
        describeCluster("hosts_backup", old.hostsBackup(), now.hostsBackup(), parts);
        describeCluster("hosts_read", old.hostsRead(), now.hostsRead(), parts);
        if (!old.hash().equals(now.hash())) {
            parts.add("hash " + old.hash() + " -> " + now.hash());
        }
        if (!old.distribution().equals(now.distribution())) {
            parts.add("distribution " + old.distribution() + " -> " + now.distribution());
        }
        if (!old.hashTag().equals(now.hashTag())) {
            parts.add("hash_tag " + old.hashTag().orElse("(none)") + " -> " + now.hashTag().orElse("(none)"));
        }
        if (!old.syncPrefix().equals(now.syncPrefix())) {
            parts.add("sync_str \"" + old.syncPrefix() + "\" -> \"" + now.syncPrefix() + "\"");
        }
        return String.join("; ", parts);
    }

    private static void describeCluster(String key, Optional<ClusterSpec> old, Optional<ClusterSpec> now, List<String> parts) {
        if (old.equals(now)) {
            return;
        }
        if (old.isEmpty() || now.isEmpty() || !old.get().name().equals(now.get().name())) {
            parts.add(key + " " + old.map(ClusterSpec::name).orElse("(none)") + " -> " + now.map(ClusterSpec::name).orElse("(none)"));
        }
        Map<String, ServerSpec> before = new LinkedHashMap<>();
        old.ifPresent(cluster -> cluster.servers().forEach(server -> before.put(server.address(), server)));
        Map<String, ServerSpec> after = new LinkedHashMap<>();
        now.ifPresent(cluster -> cluster.servers().forEach(server -> after.put(server.address(), server)));
        for (ServerSpec server : after.values()) {
            ServerSpec was = before.get(server.address());
            if (was == null) {
                parts.add(key + " + " + server.address() + " (id " + server.id() + ", weight " + server.weight() + ")");
            } else if (!was.id().equals(server.id()) || was.weight() != server.weight()) {
                parts.add(key + " " + server.address() + " id " + was.id() + " weight " + was.weight() + " -> id " + server.id()
                        + " weight " + server.weight());
            }
        }
        for (ServerSpec server : before.values()) {
            if (!after.containsKey(server.address())) {
                parts.add(key + " - " + server.address());
            }
        }
    }

    private static String problem(ProxyConfig config, String section, String key, String message) {
        return ConfigException.problem(config.file(), section == null ? 0 : config.lineOf(section, key == null ? "extension" : key),
                section, key, message);
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
        if (statsPort != null) {
            statsPort.close();
        }
        log.info("kvproxy stopping ({}): listener closed; finishing requests and replicas in flight for up to {} ms",
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
        if (metrics != null) {
            metrics.stop();
        }
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
        // A clean stop is a lifecycle line; one that left requests or replicas behind is a warning.
        boolean clean = tally.unansweredRequests() == 0 && tally.replicasGivenUp() == 0 && unfinishedWorkers == 0;
        log.atLevel(clean ? Level.INFO : Level.WARN).log(
                "kvproxy stopped after {} ms: {} requests unanswered, {} replicas given up; since start: {} writes replicated,"
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
