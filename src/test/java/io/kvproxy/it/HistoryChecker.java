package io.kvproxy.it;

import io.kvproxy.it.History.KeyKind;
import io.kvproxy.it.History.Kind;
import io.kvproxy.it.History.Operation;
import io.kvproxy.it.History.Outcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * Judges a {@link History.Snapshot} against the invariants of issue 11: no read returns a value older
 * than a write of its key acknowledged before the read began; every reply belongs to its request; at the
 * end the backup holds nothing its master does not, and an acknowledged delete left the key nowhere.
 *
 * <p>"Older" is the writer's sequence: each key has one writer, so its writes are totally ordered. A write
 * with an unknown outcome (an error or no reply) may take effect at any time after it was sent, even
 * after later writes (a hung server applies it when it resumes; so would a lone memcached a write whose
 * client gave up on it), so a value it wrote is always allowed, as Jepsen treats indeterminate
 * operations; a miss or an error is always allowed (data on a killed server is lost; the contract is
 * about stale values, not durability).
 */
final class HistoryChecker {

    enum Rule {
        STALE_READ, FOREIGN_VALUE, COUNTER_BACKWARDS, UNANSWERED_OR_WRONG_REPLY, BACKUP_DIVERGES, DELETED_KEY_PRESENT,
        ACCOUNTING
    }

    /**
     * One broken invariant; {@code operation} is the offending one when there is one, {@code named} the
     * writes the message names (the one a stale value came from, the acknowledged one it shadows).
     */
    record Violation(Rule rule, String key, String message, Operation operation, List<Operation> named) {
        Violation(Rule rule, String key, String message, Operation operation) {
            this(rule, key, message, operation, List.of());
        }
    }

    /** What one server held at the end: key → value, null for a miss. */
    record ServerView(String name, Map<String, String> values) {
    }

    private final History.Snapshot history;
    private final Map<String, List<Operation>> writesByKey = new HashMap<>();
    private final Map<String, List<Operation>> readsByKey = new HashMap<>();
    /** Per key, each write by its seq. */
    private final Map<String, Map<Long, Operation>> writesBySeq = new HashMap<>();
    /** Per key, each set by the value it wrote (values are unique: "client-seq"). */
    private final Map<String, Map<String, Operation>> setsByValue = new HashMap<>();
    /** Per key, acknowledged writes by completion time, each with the largest seq acknowledged up to it. */
    private final Map<String, TreeMap<Long, Operation>> lastAckedByTime = new HashMap<>();

    HistoryChecker(History.Snapshot history) {
        this.history = history;
        for (Operation op : history.operations()) {
            (op.isWrite() ? writesByKey : readsByKey).computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            if (op.isWrite()) {
                writesBySeq.computeIfAbsent(op.key(), k -> new HashMap<>()).put(op.seq(), op);
            }
            if (op.kind() == Kind.SET) {
                setsByValue.computeIfAbsent(op.key(), k -> new HashMap<>()).putIfAbsent(op.value(), op);
            }
        }
        for (Map.Entry<String, List<Operation>> entry : writesByKey.entrySet()) {
            List<Operation> acked = new ArrayList<>(entry.getValue().stream().filter(Operation::isAcked).toList());
            acked.sort(Comparator.comparingLong(Operation::completeNanos));
            TreeMap<Long, Operation> latest = new TreeMap<>();
            Operation best = null;
            for (Operation op : acked) {
                if (best == null || op.seq() > best.seq()) {
                    best = op;
                }
                latest.put(op.completeNanos(), best);
            }
            lastAckedByTime.put(entry.getKey(), latest);
            entry.getValue().sort(Comparator.comparingLong(Operation::seq));
        }
    }

    /**
     * Rules 1 and 2 over every read that completed before {@code horizonNanos} (during the run, reads so
     * recent that their writer may not have recorded its write yet are left for later).
     */
    List<Violation> checkOperations(long horizonNanos) {
        List<Violation> violations = new ArrayList<>();
        for (History.Anomaly anomaly : history.anomalies()) {
            violations.add(new Violation(Rule.UNANSWERED_OR_WRONG_REPLY, anomaly.key(), anomaly.client() + ": " + anomaly.what(), null));
        }
        for (History.KeySpec spec : history.keys().values()) {
            if (spec.kind() != KeyKind.REGISTER) {
                checkCounterAcks(spec, violations);
            }
            for (Operation read : readsByKey.getOrDefault(spec.key(), List.of())) {
                if (read.outcome() == Outcome.VALUE && read.completeNanos() < horizonNanos) {
                    Violation violation = spec.kind() == KeyKind.REGISTER ? judgeRegisterRead(read) : judgeCounterRead(spec, read);
                    if (violation != null) {
                        violations.add(violation);
                    }
                }
            }
        }
        return violations;
    }

    /** The acknowledged write of {@code key} with the largest seq among those that completed before {@code nanos}. */
    Operation lastAckedBefore(String key, long nanos) {
        TreeMap<Long, Operation> latest = lastAckedByTime.get(key);
        Map.Entry<Long, Operation> entry = latest == null ? null : latest.lowerEntry(nanos);
        return entry == null ? null : entry.getValue();
    }

    private Violation judgeRegisterRead(Operation read) {
        Operation source = writeOf(read.key(), read.value());
        if (source == null || source.invokeNanos() > read.completeNanos()) {
            return new Violation(Rule.FOREIGN_VALUE, read.key(), "read returned \"" + read.value()
                    + "\", which no write of this key had sent by then", read);
        }
        Operation acked = lastAckedBefore(read.key(), read.invokeNanos());
        if (acked != null && source.seq() < acked.seq() && source.outcome() == Outcome.ACK) {
            return new Violation(Rule.STALE_READ, read.key(), "read returned \"" + read.value() + "\" from " + describe(source)
                    + " after " + describe(acked) + " was acknowledged", read, List.of(source, acked));
        }
        return null;
    }

    private Violation judgeCounterRead(History.KeySpec spec, Operation read) {
        long seen;
        try {
            seen = Long.parseUnsignedLong(read.value());
        } catch (NumberFormatException e) {
            return new Violation(Rule.FOREIGN_VALUE, read.key(), "counter read returned \"" + read.value() + "\"", read);
        }
        Operation acked = lastAckedBefore(read.key(), read.invokeNanos());
        if (history.incrementsCreate() && History.counterResetSeq(spec.kind(), seen) == 0) {
            return judgeCreatedCounterRead(read, seen, acked);
        }
        if (acked != null && behind(spec.kind(), seen, Long.parseUnsignedLong(acked.value()))) {
            Operation reset = counterSource(spec, seen);
            return new Violation(Rule.STALE_READ, read.key(), "counter read " + seen + (reset != null ? " (since " + describe(reset)
                    + ")" : "") + " after " + describe(acked) + " was acknowledged", read, named(reset, acked));
        }
        return null;
    }

    /**
     * A counter value that descends from no reset: an increment created the key from nothing (Redis's INCR
     * on a missing key), one acknowledged as {@link Outcome#CREATED} or one of unknown outcome. Such a value
     * is stale once a write issued after every such increment sent before the read ended was
     * acknowledged before the read began: the key was written anew since, and the copy that increment
     * made should be gone.
     */
    private Violation judgeCreatedCounterRead(Operation read, long seen, Operation acked) {
        Operation creator = null;
        for (Operation write : writesByKey.getOrDefault(read.key(), List.of())) {
            boolean mayCreate = write.kind() == Kind.INCR && write.outcome() != Outcome.ACK && write.outcome() != Outcome.MISS;
            if (mayCreate && write.invokeNanos() < read.completeNanos() && (creator == null || write.seq() > creator.seq())) {
                creator = write;
            }
        }
        if (acked == null || (creator != null && creator.seq() > acked.seq())) {
            return null;
        }
        return new Violation(Rule.STALE_READ, read.key(), "counter read " + seen + ", created from nothing by "
                + (creator == null ? "no increment" : describe(creator)) + ", after " + describe(acked) + " was acknowledged",
                read, named(creator, acked));
    }

    /** Acknowledged counter values must move one way in seq order: a step back is an update applied to a stale copy. */
    private void checkCounterAcks(History.KeySpec spec, List<Violation> violations) {
        Operation previous = null;
        for (Operation write : writesByKey.getOrDefault(spec.key(), List.of())) {
            if (!write.isAcked()) {
                continue;
            }
            if (previous != null && !behind(spec.kind(), Long.parseUnsignedLong(previous.value()), Long.parseUnsignedLong(write.value()))) {
                Operation reset = counterSource(spec, Long.parseUnsignedLong(write.value()));
                violations.add(new Violation(Rule.COUNTER_BACKWARDS, spec.key(), describe(write) + " acknowledged after "
                        + describe(previous) + ": the update was applied to an older copy" + (reset != null ? ", since "
                        + describe(reset) : ""), write, named(reset, previous)));
            }
            previous = write;
        }
    }

    /** Whether counter value {@code a} is older than {@code b} for a counter moving in {@code kind}'s direction. */
    private static boolean behind(KeyKind kind, long a, long b) {
        int order = Long.compareUnsigned(a, b);
        return kind == KeyKind.COUNTER_UP ? order < 0 : order > 0;
    }

    /** The reset write (by its seq) that counter value {@code value} of {@code spec} counts from, if recorded. */
    private Operation counterSource(History.KeySpec spec, long value) {
        return writesBySeq.getOrDefault(spec.key(), Map.of()).get(History.counterResetSeq(spec.kind(), value));
    }

    /** The write that stored {@code value} in {@code spec}'s key, if recorded. */
    private Operation sourceOf(History.KeySpec spec, String value) {
        if (value == null) {
            return null;
        }
        if (spec.kind() == KeyKind.REGISTER) {
            return writeOf(spec.key(), value);
        }
        try {
            return counterSource(spec, Long.parseUnsignedLong(value));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static List<Operation> named(Operation... ops) {
        return Arrays.stream(ops).filter(Objects::nonNull).toList();
    }

    private Operation writeOf(String key, String value) {
        return setsByValue.getOrDefault(key, Map.of()).get(value);
    }

    /**
     * Rule 3 on what every server held at the end (clients stopped, replication drained): no backup
     * server holds a value of a key that the key's master does not ({@code owner} gives the index of the
     * master, backups lined up with it: a copy on another backup server is a stray nothing will clean), and a key whose last acknowledged write is a delete is on no server unless a later
     * write of unknown outcome put it there.
     */
    List<Violation> checkFinal(List<ServerView> masters, List<ServerView> backups, ToIntFunction<String> owner) {
        List<Violation> violations = new ArrayList<>();
        for (History.KeySpec spec : history.keys().values()) {
            String key = spec.key();
            int index = owner.applyAsInt(key);
            String onMaster = masters.get(index).values().get(key);
            for (ServerView backup : backups) {
                String onBackup = backup.values().get(key);
                if (onBackup != null && !onBackup.equals(onMaster)) {
                    violations.add(new Violation(Rule.BACKUP_DIVERGES, key, (backup == backups.get(index) ? "backup " : "backup (not the owner) ")
                            + backup.name() + " holds \"" + onBackup + "\", master owner " + masters.get(index).name() + " holds "
                            + quoted(onMaster), null, named(sourceOf(spec, onBackup), sourceOf(spec, onMaster))));
                }
            }
            Operation last = lastAcked(key);
            if (last == null || last.kind() != Kind.DELETE) {
                continue;
            }
            List<ServerView> all = new ArrayList<>(masters);
            all.addAll(backups);
            for (ServerView server : all) {
                String value = server.values().get(key);
                Operation source = value == null ? null : writeOf(key, value);
                if (value != null && (source == null || source.seq() < last.seq() && source.outcome() == Outcome.ACK)) {
                    boolean isOwner = server == masters.get(index) || server == backups.get(index);
                    violations.add(new Violation(Rule.DELETED_KEY_PRESENT, key, server.name() + (isOwner ? " (the owner)" : " (not the owner)")
                            + " still holds \"" + value + "\"" + (source != null ? " from " + describe(source) : "") + " after "
                            + describe(last) + " was acknowledged", null, named(source, last)));
                }
            }
        }
        return violations;
    }

    /** The acknowledged write of {@code key} with the largest seq, or null. */
    Operation lastAcked(String key) {
        Operation last = null;
        for (Operation write : writesByKey.getOrDefault(key, List.of())) {
            if (write.isAcked()) {
                last = write;
            }
        }
        return last;
    }

    /** Acknowledged writes, each of which the master accepted and so must have been taken for replication. */
    long ackedWrites() {
        return history.operations().stream().filter(Operation::isAcked).count();
    }

    /**
     * Rule 4: {@code replication_accepted = replicated + replication_dropped + replication_failed +
     * replication_in_flight}, and at least every acknowledged write was accepted for replication.
     */
    static List<Violation> checkAccounting(Map<String, Long> stats, long ackedWrites) {
        List<Violation> violations = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String name : List.of("kvproxy_replication_accepted", "kvproxy_replicated", "kvproxy_replication_dropped", "kvproxy_replication_failed",
                "kvproxy_replication_in_flight")) {
            if (!stats.containsKey(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            violations.add(new Violation(Rule.ACCOUNTING, "-", "stats has no " + String.join(", ", missing), null));
            return violations;
        }
        long accepted = stats.get("kvproxy_replication_accepted");
        long accounted = stats.get("kvproxy_replicated") + stats.get("kvproxy_replication_dropped") + stats.get("kvproxy_replication_failed")
                + stats.get("kvproxy_replication_in_flight");
        if (accepted != accounted) {
            violations.add(new Violation(Rule.ACCOUNTING, "-", "kvproxy_replication_accepted " + accepted
                    + " != replicated + dropped + failed + in_flight = " + accounted + " " + stats, null));
        }
        if (accepted < ackedWrites) {
            violations.add(new Violation(Rule.ACCOUNTING, "-", "kvproxy_replication_accepted " + accepted + " < " + ackedWrites
                    + " acknowledged writes", null));
        }
        return violations;
    }

    /**
     * A violation with the seed and its key's history as a compact table: the writes and the reads that
     * returned a value (misses and errors say nothing), the last ones before the violation plus the writes
     * it names, the offending row marked.
     */
    String report(Violation violation, long seed) {
        StringBuilder text = new StringBuilder();
        text.append(violation.rule()).append(" key=").append(violation.key()).append(" seed=").append(seed).append(": ")
                .append(violation.message()).append('\n');
        Operation offending = violation.operation();
        long until = offending != null ? offending.completeNanos() : Long.MAX_VALUE;
        List<Operation> telling = new ArrayList<>(writesByKey.getOrDefault(violation.key(), List.of()));
        readsByKey.getOrDefault(violation.key(), List.of()).stream().filter(op -> op.outcome() == Outcome.VALUE).forEach(telling::add);
        telling.removeIf(op -> op.invokeNanos() > until && !violation.named().contains(op));
        if (telling.isEmpty()) {
            return text.toString();
        }
        telling.sort(Comparator.comparingLong(Operation::invokeNanos));
        List<Operation> shown = new ArrayList<>(telling.subList(Math.max(0, telling.size() - 12), telling.size()));
        List<Operation> extra = new ArrayList<>(violation.named());
        if (offending != null) {
            extra.add(offending);
        }
        for (Operation op : extra) {
            if (!shown.contains(op)) {
                shown.add(op);
            }
        }
        shown.sort(Comparator.comparingLong(Operation::invokeNanos));
        text.append(String.format("    %-7s %-6s %7s %-22s %10s %10s %s%n", "client", "op", "seq", "value", "invoke_ms",
                "done_ms", "outcome"));
        int previous = -1;
        for (Operation op : shown) {
            int index = telling.indexOf(op);
            if (index > previous + 1) {
                text.append("    … ").append(index - previous - 1).append(" more\n");
            }
            previous = index;
            text.append(String.format("  %s %-7s %-6s %7s %-22s %10.1f %10.1f %s%n", op == offending ? ">" : " ",
                    op.client(), op.kind(), op.isWrite() ? Long.toString(op.seq()) : "", op.value() == null ? "-" : op.value(),
                    millis(op.invokeNanos()), millis(op.completeNanos()), op.outcome()));
        }
        return text.toString();
    }

    private double millis(long nanos) {
        return (nanos - history.startNanos()) / 1e6;
    }

    private String describe(Operation write) {
        return write.client() + "'s " + write.kind() + (write.value() != null ? " \"" + write.value() + "\"" : "") + " (seq "
                + write.seq() + ", done at " + String.format("%.1f", millis(write.completeNanos())) + " ms)";
    }

    private static String quoted(String value) {
        return value == null ? "nothing" : "\"" + value + "\"";
    }
}
