package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.kvproxy.it.History.KeyKind;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The history checker of issue 11, in the style of Jepsen. Seven clients — two pipelining text, one binary,
 * one noreply, two half-closing, one meta (loud writes, quiet reads ended by mn) — write and read 60 keys through the real daemon over 3 master and 3
 * backup memcached servers (ids lined up, sync_str "s:") while a seeded {@link FaultSchedule} hangs and
 * kills master and backup servers for about 45 s. Every operation is recorded; during the run and at the
 * end {@link HistoryChecker} judges the history: no stale read, every request answered with its own
 * reply, the backup holding nothing its master does not, deletes leaving keys nowhere, and the
 * replication accounting adding up once the queue drained.
 *
 * <p>{@code -Dhistory.seed=N} reruns one seed (the schedule and every client's choices; the timing is
 * the machine's); {@code -Dhistory.faultSeconds=S} changes how long the faults go on.
 */
@Timeout(180)
class HistoryIT {

    private static final int MASTERS = 3;
    private static final int BACKUPS = 3;
    private static final List<String> REGISTER_WRITERS = List.of("t0", "t1", "b0", "n0", "h0", "h1", "m0");
    private static final List<String> COUNTER_WRITERS = List.of("t0", "t1", "b0", "m0");
    /** Reads this recent are judged at the next check: their write may still be on its way into the history. */
    private static final long ONLINE_HORIZON_NANOS = 10_000_000_000L;

    @TempDir
    Path dir;
    private final List<MemcachedServer> started = new ArrayList<>();
    private final List<Thread> clients = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private FaultSchedule schedule;
    private Thread faults;
    private KvproxyProcess proxy;

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

    @Test
    void noAcknowledgedWriteIsShadowedLostOrUnansweredWhileServersHangDieAndReturn() throws Exception {
        long seed = Long.getLong("history.seed", new Random().nextLong());
        Duration faultTime = Duration.ofSeconds(Long.getLong("history.faultSeconds", 45));
        System.out.println("HistoryIT seed " + seed + " (rerun: -Dhistory.seed=" + seed + ")");
        Random random = new Random(seed);
        for (int i = 0; i < MASTERS + BACKUPS; i++) {
            started.add(MemcachedServer.start());
        }
        List<MemcachedServer> masters = started.subList(0, MASTERS);
        List<MemcachedServer> backups = started.subList(MASTERS, MASTERS + BACKUPS);
        int port = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir,
                "thread_count = 2\nrecv_timeout = 200\nfailover_threshold = 2\nfailover_interval = 1",
                "[memcached]\nextension = memcached.jar\nhosts = master\nhosts_backup = backup\nsync_str = \"s:\"\n\n"
                        + KvproxyProcess.cluster("master", masters) + KvproxyProcess.cluster("backup", backups)));

        long startNanos = System.nanoTime();
        History history = new History(startNanos);
        Map<String, List<KeySpec>> owned = declareKeys(history);
        List<String> allKeys = List.copyOf(history.snapshot().keys().keySet());
        startClients(history, owned, allKeys, port, random);
        schedule = new FaultSchedule(random.nextLong(), List.copyOf(masters), List.copyOf(backups), faultTime, startNanos);
        faults = new Thread(schedule, "history-faults");
        faults.start();
        checkWhileTheFaultsRun(history);
        List<String> problems = awaitRecoveryAndStopClients();
        readEveryKeyThroughTheProxy(history, allKeys, port);
        List<ServerView> masterViews = views("master", schedule.servers(true), allKeys);
        List<ServerView> backupViews = views("backup", schedule.servers(false), allKeys);
        Map<String, Long> stats = numericStats();

        HistoryChecker checker = new HistoryChecker(history.snapshot());
        Ring ring = Ring.build(Distribution.KETAMA, HashFunction.MD5, null,
                List.of(new RingNode("1", 100, 0), new RingNode("2", 100, 1), new RingNode("3", 100, 2)));
        List<Violation> violations = new ArrayList<>(checker.checkOperations(Long.MAX_VALUE));
        violations.addAll(checker.checkFinal(masterViews, backupViews, key -> ring.serverFor(key.getBytes(StandardCharsets.US_ASCII))));
        violations.addAll(HistoryChecker.checkAccounting(stats, checker.ackedWrites()));
        String figures = figures(history.snapshot(), checker, masterViews, ring, stats);
        System.out.println("HistoryIT seed " + seed + ": " + figures);
        schedule.events().forEach(event -> System.out.println("HistoryIT fault " + event));
        if (!violations.isEmpty() || !problems.isEmpty()) {
            keepDaemonLog();
            fail(report(seed, checker, violations, problems, figures));
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
                System.out.printf("HistoryIT %.0f s: %d operations, violations so far %s%n",
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
        if (!Await.until(Duration.ofSeconds(30), () -> stat("kvproxy_backend_servers_offline") == 0)) {
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

    /**
     * The calibration: the same clients straight against one memcached, no proxy and no faults, for a few
     * seconds. Any violation here is the test's own mistake, not kvproxy's.
     */
    @Test
    void theClientsAndTheCheckerFindNothingWrongWithALoneMemcached() throws Exception {
        long seed = Long.getLong("history.seed", new Random().nextLong());
        System.out.println("HistoryIT calibration seed " + seed);
        MemcachedServer server = MemcachedServer.start();
        started.add(server);
        History history = new History(System.nanoTime());
        Map<String, List<KeySpec>> owned = declareKeys(history);
        startClients(history, owned, List.copyOf(history.snapshot().keys().keySet()), server.port(), new Random(seed));
        Await.until(Duration.ofSeconds(10), () -> history.snapshot().operations().size() > 300_000);
        running.set(false);
        for (Thread client : clients) {
            client.join(15_000);
        }
        History.Snapshot snapshot = history.snapshot();
        HistoryChecker checker = new HistoryChecker(snapshot);
        List<Violation> violations = checker.checkOperations(Long.MAX_VALUE);
        System.out.println("HistoryIT calibration: " + snapshot.operations().size() + " operations, " + checker.ackedWrites()
                + " acknowledged writes, " + violations.size() + " violations");
        if (!violations.isEmpty()) {
            fail("seed " + seed + ": " + countByRule(violations) + "\n" + checker.report(violations.get(0), seed));
        }
        if (checker.ackedWrites() < 1000) {
            fail("the clients hardly ran: " + checker.ackedWrites() + " acknowledged writes");
        }
    }

    private static Map<Rule, Long> countByRule(List<Violation> violations) {
        Map<Rule, Long> counts = new EnumMap<>(Rule.class);
        violations.forEach(violation -> counts.merge(violation.rule(), 1L, Long::sum));
        return counts;
    }

    /** 48 set/delete keys over all seven writers and 12 counters over the four that speak incr/decr; every fourth key is synchronous. */
    private static Map<String, List<KeySpec>> declareKeys(History history) {
        Map<String, List<KeySpec>> owned = new HashMap<>();
        for (int i = 0; i < 48; i++) {
            KeySpec spec = new KeySpec((i % 4 == 0 ? "s:" : "") + "r" + i, KeyKind.REGISTER, REGISTER_WRITERS.get(i % REGISTER_WRITERS.size()));
            history.declare(spec.key(), spec.kind(), spec.writer());
            owned.computeIfAbsent(spec.writer(), w -> new ArrayList<>()).add(spec);
        }
        for (int i = 0; i < 12; i++) {
            KeySpec spec = new KeySpec((i % 4 == 0 ? "s:" : "") + "c" + i, i % 2 == 0 ? KeyKind.COUNTER_UP : KeyKind.COUNTER_DOWN,
                    COUNTER_WRITERS.get(i % COUNTER_WRITERS.size()));
            history.declare(spec.key(), spec.kind(), spec.writer());
            owned.get(spec.writer()).add(spec);
        }
        return owned;
    }

    private void startClients(History history, Map<String, List<KeySpec>> owned, List<String> allKeys, int port, Random random) {
        HistoryClient.Run run = new HistoryClient.Run(history, allKeys, port, running);
        List<HistoryClient> all = List.of(
                new TextHistoryClient("t0", TextHistoryClient.Mode.PIPELINING, random.nextLong(), owned.get("t0"), run),
                new TextHistoryClient("t1", TextHistoryClient.Mode.PIPELINING, random.nextLong(), owned.get("t1"), run),
                new BinaryHistoryClient("b0", random.nextLong(), owned.get("b0"), run),
                new NoreplyHistoryClient("n0", random.nextLong(), owned.get("n0"), run),
                new TextHistoryClient("h0", TextHistoryClient.Mode.HALF_CLOSING, random.nextLong(), owned.get("h0"), run),
                new TextHistoryClient("h1", TextHistoryClient.Mode.HALF_CLOSING, random.nextLong(), owned.get("h1"), run),
                new MetaHistoryClient("m0", random.nextLong(), owned.get("m0"), run));
        for (HistoryClient client : all) {
            Thread thread = new Thread(client, "history-" + client.name);
            clients.add(thread);
            thread.start();
        }
    }

    /** The final reads, one key per get: judged like any other read, against the final acknowledged state. */
    private static void readEveryKeyThroughTheProxy(History history, List<String> keys, int port) throws IOException {
        for (String key : keys) {
            long invoke = System.nanoTime();
            Map<String, String> hits = TextHistoryClient.readOrError(port, List.of(key));
            String value = hits == null ? null : hits.get(key);
            history.record(new Operation("final", Kind.READ, key, 0, value, invoke, System.nanoTime(),
                    hits == null ? Outcome.ERROR : value == null ? Outcome.MISS : Outcome.VALUE));
        }
    }

    private static List<ServerView> views(String cluster, List<MemcachedServer> servers, List<String> keys) throws IOException {
        List<ServerView> views = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            Map<String, String> hits = TextHistoryClient.readOrError(servers.get(i).port(), keys);
            if (hits == null) {
                throw new IOException(cluster + (i + 1) + " answered an error to a get");
            }
            views.add(new ServerView(cluster + (i + 1) + " " + servers.get(i).address(), hits));
        }
        return views;
    }

    private static String figures(History.Snapshot history, HistoryChecker checker, List<ServerView> masters, Ring ring,
                                  Map<String, Long> stats) {
        Map<Outcome, Long> writes = new EnumMap<>(Outcome.class);
        Map<Outcome, Long> reads = new EnumMap<>(Outcome.class);
        for (Operation op : history.operations()) {
            (op.isWrite() ? writes : reads).merge(op.outcome(), 1L, Long::sum);
        }
        int strays = 0;
        for (String key : history.keys().keySet()) {
            int owner = ring.serverFor(key.getBytes(StandardCharsets.US_ASCII));
            for (int s = 0; s < masters.size(); s++) {
                strays += s != owner && masters.get(s).values().containsKey(key) ? 1 : 0;
            }
        }
        Map<String, Long> anomalies = new TreeMap<>();
        history.anomalies().forEach(anomaly -> anomalies.merge(anomaly.client(), 1L, Long::sum));
        long replicationStats = stats.entrySet().stream().filter(e -> e.getKey().startsWith("kvproxy_replicat") || e.getKey().startsWith("kvproxy_async_")).count();
        StringBuilder text = new StringBuilder();
        text.append(history.operations().size()).append(" operations; writes ").append(writes).append(" (")
                .append(checker.ackedWrites()).append(" acknowledged); reads ").append(reads).append("; ").append(strays)
                .append(" keys also on a master that does not own them; wire anomalies by client ").append(anomalies);
        if (replicationStats > 0) {
            text.append("; stats");
            stats.forEach((name, value) -> {
                if (name.startsWith("kvproxy_replicat") || name.startsWith("kvproxy_async_")) {
                    text.append(' ').append(name).append('=').append(value);
                }
            });
        }
        return text.toString();
    }

    /** The daemon's log outlives the test's directory when it failed: target/failsafe-reports/HistoryIT-kvproxy.log. */
    private void keepDaemonLog() {
        try {
            Path reports = Path.of("target", "failsafe-reports");
            java.nio.file.Files.createDirectories(reports);
            java.nio.file.Files.copy(dir.resolve("kvproxy.log"), reports.resolve("HistoryIT-kvproxy.log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.out.println("HistoryIT: could not keep the daemon log: " + e);
        }
    }

    private String report(long seed, HistoryChecker checker, List<Violation> violations, List<String> problems, String figures) {
        Map<Rule, List<Violation>> byRule = new EnumMap<>(Rule.class);
        violations.forEach(v -> byRule.computeIfAbsent(v.rule(), r -> new ArrayList<>()).add(v));
        StringBuilder text = new StringBuilder("HistoryIT seed " + seed + " (rerun: -Dhistory.seed=" + seed + "): ");
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

    private Map<String, String> stats() {
        Map<String, String> stats = new HashMap<>();
        try (RawClient c = new RawClient(proxy.port())) {
            for (String line : c.call("stats\r\n", "END\r\n").split("\r\n")) {
                String[] words = line.split(" ");
                if (words.length == 3 && words[0].equals("STAT")) {
                    stats.put(words[1], words[2]);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("stats through kvproxy failed", e);
        }
        return stats;
    }

    private Map<String, Long> numericStats() {
        Map<String, Long> numeric = new HashMap<>();
        stats().forEach((name, value) -> {
            if (!value.isEmpty() && value.chars().allMatch(Character::isDigit)) {
                numeric.put(name, Long.parseLong(value));
            }
        });
        return numeric;
    }

    private long stat(String name) {
        String value = stats().get(name);
        if (value == null) {
            throw new IllegalStateException("stats has no " + name + ": " + stats());
        }
        return Long.parseLong(value);
    }

    private String status() {
        try (RawClient c = new RawClient(proxy.port())) {
            return c.call("status\r\n", "]\n\n");
        } catch (IOException e) {
            return "<status failed: " + e + ">";
        }
    }
}
