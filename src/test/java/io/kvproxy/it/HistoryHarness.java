package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.kvproxy.it.History.KeySpec;
import io.kvproxy.it.History.Kind;
import io.kvproxy.it.History.Operation;
import io.kvproxy.it.History.Outcome;
import io.kvproxy.it.HistoryChecker.Rule;
import io.kvproxy.it.HistoryChecker.ServerView;
import io.kvproxy.it.HistoryChecker.Violation;
import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Ring;
import io.kvproxy.route.RingNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a history run does whatever the protocol: the clients on their threads, the seeded {@link
 * FaultSchedule} over 3 master and 3 backup servers, the checks while the faults run, the recovery, the
 * final reads through the proxy and on every server, and the verdict of {@link HistoryChecker} with a
 * report that names the seed. A subclass ({@code HistoryIT} for memcached, {@code RedisHistoryIT} for
 * Redis) starts its servers, its daemon and its clients, and says how to read its stats and its servers.
 *
 * <p>The masters and backups use ids 1, 2, 3 in both clusters with md5/ketama, so a key's master and its
 * backup are the servers of the same index on {@link #RING}.
 *
 * @param <S> the kind of server the faults hit
 */
abstract class HistoryHarness<S extends ServerProcess<S>> {

    static final int MASTERS = 3;
    static final int BACKUPS = 3;
    /** Reads this recent are judged at the next check: their write may still be on its way into the history. */
    private static final long ONLINE_HORIZON_NANOS = 10_000_000_000L;
    /** The placement of both clusters: ids 1, 2, 3, weight 100, md5 ketama (the pools' default). */
    static final Ring RING = Ring.build(Distribution.KETAMA, HashFunction.MD5, null,
            List.of(new RingNode("1", 100, 0), new RingNode("2", 100, 1), new RingNode("3", 100, 2)));

    @TempDir
    Path dir;
    final List<S> started = new ArrayList<>();
    private final List<Thread> clients = new ArrayList<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    private FaultSchedule<S> schedule;
    private Thread faults;
    KvproxyProcess proxy;

    /** A fresh server of the kind the run is about, on a free port. */
    abstract S startServer() throws IOException, InterruptedException;

    /** The pool section's first lines: its name and {@code extension}; the clusters and sync_str follow. */
    abstract String poolSection();

    /** Lines for the {@code [kvproxy]} section beyond the timeouts every run uses (empty, or starting with a newline). */
    String kvproxyExtra() throws IOException {
        return "";
    }

    /** Whether an increment of a missing key creates it, as Redis's INCR does (memcached's incr finds nothing). */
    boolean incrementsCreate() {
        return false;
    }

    /** Declares every key of the run with its kind and writer; returns each writer's keys. */
    abstract Map<String, List<KeySpec>> declareKeys(History history);

    /** The run's clients, each writing the keys {@code owned} names for it, each with a seed drawn from {@code random}. */
    abstract List<HistoryClient> clients(Map<String, List<KeySpec>> owned, HistoryClient.Run run, Random random);

    /** What the server (or proxy) on {@code port} answers for {@code keys} in one multi-key read: key → value, null on an error. */
    abstract Map<String, String> readOrError(int port, List<String> keys) throws IOException;

    /** The pool's figures by name: the replication counts, {@code kvproxy_repair_pending}. */
    abstract Map<String, Long> numericStats();

    /** How many of the pool's servers (masters and backups) are out of the ring now. */
    abstract long offlineServers();

    /** What the proxy says about its servers, for a recovery problem's message. */
    abstract String status();


    private String name() {
        return getClass().getSimpleName();
    }

    @AfterEach
    void stop() throws Exception {
        running.set(false);
        for (Thread client : clients) {
            client.join(15_000);
        }
        if (faults != null) {
            // A test that timed out leaves the schedule running: end it before resuming every server.
            faults.interrupt();
            faults.join(15_000);
        }
        if (schedule != null) {
            schedule.recoverAllNow();
        }
        if (proxy != null) {
            proxy.stop();
        }
        if (schedule != null) {
            schedule.closeAll();
        } else {
            KvproxyProcess.stopAll(null, started);
        }
    }

    /**
     * The run: 3 master and 3 backup servers, the daemon over them ({@code sync_str = "s:"},
     * {@code recv_timeout = 200}, {@code failover_threshold = 2}, {@code failover_interval = 1}), the
     * clients, the faults, and the verdict.
     */
    void runUnderFaults() throws Exception {
        long seed = seed();
        Random random = new Random(seed);
        for (int i = 0; i < MASTERS + BACKUPS; i++) {
            started.add(startServer());
        }
        int port = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir,
                "thread_count = 2\nrecv_timeout = 200\nfailover_threshold = 2\nfailover_interval = 1" + kvproxyExtra(),
                poolSection() + "hosts = master\nhosts_backup = backup\nsync_str = \"s:\"\n\n"
                        + KvproxyProcess.cluster("master", started.subList(0, MASTERS))
                        + KvproxyProcess.cluster("backup", started.subList(MASTERS, MASTERS + BACKUPS))));
        History history = new History(System.nanoTime(), incrementsCreate());
        Map<String, List<KeySpec>> owned = declareKeys(history);
        List<String> allKeys = List.copyOf(history.snapshot().keys().keySet());
        startClients(clients(owned, new HistoryClient.Run(history, allKeys, port, running), random));
        faultAndJudge(seed, random, history, allKeys);
    }

    /**
     * The calibration: the same clients straight against one server, no proxy and no faults, until
     * {@code operations} are recorded. Any violation here is the test's own mistake, not kvproxy's.
     */
    void runAlone(int operations) throws Exception {
        long seed = seed();
        S server = startServer();
        started.add(server);
        History history = new History(System.nanoTime(), incrementsCreate());
        Map<String, List<KeySpec>> owned = declareKeys(history);
        HistoryClient.Run run = new HistoryClient.Run(history, List.copyOf(history.snapshot().keys().keySet()), server.port(), running);
        startClients(clients(owned, run, new Random(seed)));
        calibrate(seed, history, operations);
    }

    private long seed() {
        long seed = Long.getLong("history.seed", new Random().nextLong());
        System.out.println(name() + " seed " + seed + " (rerun: -Dhistory.seed=" + seed + ")");
        return seed;
    }

    private static Duration faultTime() {
        return Duration.ofSeconds(Long.getLong("history.faultSeconds", 45));
    }

    /** Starts each client on a thread of its own. */
    private void startClients(List<HistoryClient> all) {
        for (HistoryClient client : all) {
            Thread thread = new Thread(client, "history-" + client.name);
            clients.add(thread);
            thread.start();
        }
    }

    /**
     * The run once the daemon and the clients are going: the faults for {@link #faultTime()}, the checks
     * meanwhile, then recovery, the final reads and the verdict; fails with the report.
     */
    private void faultAndJudge(long seed, Random random, History history, List<String> allKeys) throws Exception {
        schedule = new FaultSchedule<>(random.nextLong(), List.copyOf(started.subList(0, MASTERS)),
                List.copyOf(started.subList(MASTERS, MASTERS + BACKUPS)), faultTime(), history.snapshot().startNanos());
        faults = new Thread(schedule, "history-faults");
        faults.start();
        checkWhileTheFaultsRun(history);
        List<String> problems = awaitRecoveryAndStopClients();
        for (String key : allKeys) {
            // One key per read, judged like any other read against the final acknowledged state.
            long invoke = System.nanoTime();
            Map<String, String> hits = readOrError(proxy.port(), List.of(key));
            String value = hits == null ? null : hits.get(key);
            history.record(new Operation("final", Kind.READ, key, 0, value, invoke, System.nanoTime(),
                    hits == null ? Outcome.ERROR : value == null ? Outcome.MISS : Outcome.VALUE));
        }
        List<ServerView> masterViews = views("master", schedule.servers(true), allKeys);
        List<ServerView> backupViews = views("backup", schedule.servers(false), allKeys);
        Map<String, Long> stats = numericStats();

        HistoryChecker checker = new HistoryChecker(history.snapshot());
        List<Violation> violations = new ArrayList<>(checker.checkOperations(Long.MAX_VALUE));
        violations.addAll(checker.checkFinal(masterViews, backupViews, key -> RING.serverFor(key.getBytes(StandardCharsets.US_ASCII))));
        violations.addAll(HistoryChecker.checkAccounting(stats, checker.ackedWrites()));
        String figures = figures(history.snapshot(), checker, masterViews, stats);
        System.out.println(name() + " seed " + seed + ": " + figures);
        schedule.events().forEach(event -> System.out.println(name() + " fault " + event));
        if (!violations.isEmpty() || !problems.isEmpty()) {
            keepDaemonLog();
            fail(report(seed, checker, violations, problems, figures));
        }
    }

    private void calibrate(long seed, History history, int operations) throws InterruptedException {
        Await.until(Duration.ofSeconds(10), () -> history.snapshot().operations().size() > operations);
        running.set(false);
        for (Thread client : clients) {
            client.join(15_000);
        }
        History.Snapshot snapshot = history.snapshot();
        HistoryChecker checker = new HistoryChecker(snapshot);
        List<Violation> violations = checker.checkOperations(Long.MAX_VALUE);
        System.out.println(name() + " calibration: " + snapshot.operations().size() + " operations, " + checker.ackedWrites()
                + " acknowledged writes, " + violations.size() + " violations");
        if (!violations.isEmpty()) {
            fail("seed " + seed + ": " + countByRule(violations) + "\n" + checker.report(violations.get(0), seed));
        }
        if (checker.ackedWrites() < 1000) {
            fail("the clients hardly ran: " + checker.ackedWrites() + " acknowledged writes");
        }
    }

    /** The checker over the history so far, every 5 s until the schedule ends: violations show as they happen. */
    private void checkWhileTheFaultsRun(History history) throws InterruptedException {
        int seen = 0;
        while (faults.isAlive()) {
            faults.join(5000);
            History.Snapshot snapshot = history.snapshot();
            List<Violation> sofar = new HistoryChecker(snapshot).checkOperations(System.nanoTime() - ONLINE_HORIZON_NANOS);
            if (sofar.size() > seen) {
                System.out.printf("%s %.0f s: %d operations, violations so far %s%n", name(),
                        (System.nanoTime() - snapshot.startNanos()) / 1e9, snapshot.operations().size(), countByRule(sofar));
                seen = sofar.size();
            }
        }
    }

    /**
     * Every server back in the ring (the clients keep going meanwhile), then the clients stopped and the
     * replication queue drained; what did not happen in time is returned as a problem.
     */
    private List<String> awaitRecoveryAndStopClients() throws InterruptedException {
        List<String> problems = new ArrayList<>();
        if (!Await.until(Duration.ofSeconds(30), () -> offlineServers() == 0)) {
            problems.add("servers still out 30 s after the faults ended: " + status());
        }
        running.set(false);
        for (Thread client : clients) {
            client.join(15_000);
            if (client.isAlive()) {
                problems.add("client " + client.getName() + " did not stop within 15 s");
            }
        }
        // Replicas answered, and every key owed a repair deleted where it is owed (backups that stayed in
        // are repaired within 100 ms of being reachable): only then is the end state the one to judge.
        if (!Await.until(Duration.ofSeconds(20), () -> stat("kvproxy_replication_in_flight") == 0 && stat("kvproxy_repair_pending") == 0)) {
            problems.add("replication and repair did not drain within 20 s: replication_in_flight = "
                    + stat("kvproxy_replication_in_flight") + ", repair_pending = " + stat("kvproxy_repair_pending"));
        }
        return problems;
    }

    private long stat(String name) {
        Long value = numericStats().get(name);
        if (value == null) {
            throw new IllegalStateException("stats have no " + name + ": " + numericStats());
        }
        return value;
    }

    static Map<Rule, Long> countByRule(List<Violation> violations) {
        Map<Rule, Long> counts = new EnumMap<>(Rule.class);
        violations.forEach(violation -> counts.merge(violation.rule(), 1L, Long::sum));
        return counts;
    }

    private List<ServerView> views(String cluster, List<S> servers, List<String> keys) throws IOException {
        List<ServerView> views = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            Map<String, String> hits = readOrError(servers.get(i).port(), keys);
            if (hits == null) {
                throw new IOException(cluster + (i + 1) + " " + servers.get(i).address() + " answered an error to a multi-key read");
            }
            views.add(new ServerView(cluster + (i + 1) + " " + servers.get(i).address(), hits));
        }
        return views;
    }

    private static String figures(History.Snapshot history, HistoryChecker checker, List<ServerView> masters, Map<String, Long> stats) {
        Map<Outcome, Long> writes = new EnumMap<>(Outcome.class);
        Map<Outcome, Long> reads = new EnumMap<>(Outcome.class);
        for (Operation op : history.operations()) {
            (op.isWrite() ? writes : reads).merge(op.outcome(), 1L, Long::sum);
        }
        int strays = 0;
        for (String key : history.keys().keySet()) {
            int owner = RING.serverFor(key.getBytes(StandardCharsets.US_ASCII));
            for (int s = 0; s < masters.size(); s++) {
                strays += s != owner && masters.get(s).values().containsKey(key) ? 1 : 0;
            }
        }
        Map<String, Long> anomalies = new TreeMap<>();
        history.anomalies().forEach(anomaly -> anomalies.merge(anomaly.client(), 1L, Long::sum));
        StringBuilder text = new StringBuilder();
        text.append(history.operations().size()).append(" operations; writes ").append(writes).append(" (")
                .append(checker.ackedWrites()).append(" acknowledged); reads ").append(reads).append("; ").append(strays)
                .append(" keys also on a master that does not own them; wire anomalies by client ").append(anomalies);
        StringBuilder replication = new StringBuilder();
        new TreeMap<>(stats).forEach((name, value) -> {
            if (name.startsWith("kvproxy_replicat") || name.startsWith("kvproxy_async_")) {
                replication.append(' ').append(name).append('=').append(value);
            }
        });
        if (replication.length() > 0) {
            text.append("; stats").append(replication);
        }
        return text.toString();
    }

    /** The daemon's log outlives the test's directory when it failed: target/failsafe-reports/NameIT-kvproxy.log. */
    private void keepDaemonLog() {
        try {
            Path reports = Path.of("target", "failsafe-reports");
            Files.createDirectories(reports);
            Files.copy(dir.resolve("kvproxy.log"), reports.resolve(name() + "-kvproxy.log"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.out.println(name() + ": could not keep the daemon log: " + e);
        }
    }

    private String report(long seed, HistoryChecker checker, List<Violation> violations, List<String> problems, String figures) {
        Map<Rule, List<Violation>> byRule = new EnumMap<>(Rule.class);
        violations.forEach(v -> byRule.computeIfAbsent(v.rule(), r -> new ArrayList<>()).add(v));
        StringBuilder text = new StringBuilder(name() + " seed " + seed + " (rerun: -Dhistory.seed=" + seed + "): ");
        byRule.forEach((rule, list) -> text.append(rule).append(' ').append(list.size()).append("; "));
        text.append(problems.size()).append(" recovery problems\n").append(figures).append('\n');
        problems.forEach(problem -> text.append("RECOVERY ").append(problem).append('\n'));
        for (List<Violation> list : byRule.values()) {
            List<Violation> examples = examples(list);
            examples.forEach(violation -> text.append(checker.report(violation, seed)));
            if (list.size() > examples.size()) {
                text.append("  … and ").append(list.size() - examples.size()).append(" more ").append(list.get(0).rule()).append('\n');
            }
        }
        text.append("faults:\n");
        schedule.events().forEach(event -> text.append("  ").append(event).append('\n'));
        return text.toString();
    }

    /** Up to three violations of one rule that differ in key, or for wire anomalies in what went wrong and to whom. */
    private static List<Violation> examples(List<Violation> violations) {
        List<Violation> examples = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (Violation violation : violations) {
            String kind = violation.rule() == Rule.UNANSWERED_OR_WRONG_REPLY
                    ? violation.message().replaceAll("[0-9]+", "N").replaceAll("\\[.*", "")
                    : violation.key();
            if (!seen.contains(kind) && examples.size() < (violation.rule() == Rule.UNANSWERED_OR_WRONG_REPLY ? 6 : 3)) {
                seen.add(kind);
                examples.add(violation);
            }
        }
        return examples;
    }
}
