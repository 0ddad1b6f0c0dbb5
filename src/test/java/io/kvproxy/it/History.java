package io.kvproxy.it;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The record of a history run: which keys exist and who writes them, every operation with its invoke and
 * completion time, and the anomalies a client saw on the wire (a missing reply, a reply for another key).
 * Client threads append concurrently; {@link HistoryChecker} reads a {@link #snapshot()}.
 *
 * <p>Each key has exactly one writer, so the writes of a key are totally ordered by that writer's sequence
 * number whatever the network did: that order is what "older" means to the checker.
 */
final class History {

    /** What a key holds, which decides how its reads are judged. */
    enum KeyKind {
        /** set / delete with a unique value per write: a read names the write it saw. */
        REGISTER,
        /** incr only, reset to ever larger bases: every later write has a larger value. */
        COUNTER_UP,
        /** decr only, reset to ever smaller bases: every later write has a smaller value. */
        COUNTER_DOWN
    }

    enum Kind { SET, DELETE, INCR, DECR, READ }

    /**
     * How an operation ended. A write that is {@link #ERROR} or {@link #NO_REPLY} has an unknown outcome:
     * the master may or may not have applied it (a hung server applies a timed-out write when it resumes).
     */
    enum Outcome {
        ACK, ERROR, NO_REPLY, VALUE, MISS,
        /**
         * An increment that found no key and made one from nothing (Redis's INCR; memcached's answers
         * NOT_FOUND, a {@link #MISS}): it applied, but its value descends from no reset, so like a miss it
         * says nothing of the acknowledged writes before it (the key was lost), and it orders nothing.
         */
        CREATED
    }

    /**
     * One operation. {@code seq} orders a key's writes (0 for reads); {@code value} is what a set wrote,
     * the number an acknowledged incr/decr returned, or what a read returned (null on a miss).
     */
    record Operation(String client, Kind kind, String key, long seq, String value, long invokeNanos, long completeNanos,
                     Outcome outcome) {

        boolean isWrite() {
            return kind != Kind.READ;
        }

        boolean isAcked() {
            return isWrite() && outcome == Outcome.ACK;
        }
    }

    /** Something a client saw that no history can excuse: it is a violation by itself. */
    record Anomaly(String client, String key, String what) {
    }

    record KeySpec(String key, KeyKind kind, String writer) {
    }

    /** Counter resets start at seq × this, above anything the increments since the last reset reached. */
    static final long COUNTER_EPOCH = 1_000_000_000L;
    /** Decrementing counters count down from here. */
    static final long COUNTER_DOWN_TOP = 9_000_000_000_000_000_000L;

    /** The value a reset of a counter at {@code writeSeq} stores: a later reset is always further along. */
    static long counterBase(KeyKind kind, long writeSeq) {
        return kind == KeyKind.COUNTER_UP ? writeSeq * COUNTER_EPOCH : COUNTER_DOWN_TOP - writeSeq * COUNTER_EPOCH;
    }

    /** The seq of the reset a counter value descends from (fewer than an epoch of steps since). */
    static long counterResetSeq(KeyKind kind, long value) {
        return kind == KeyKind.COUNTER_UP ? Long.divideUnsigned(value, COUNTER_EPOCH) : (COUNTER_DOWN_TOP - value) / COUNTER_EPOCH;
    }

    private final Map<String, KeySpec> keys = new LinkedHashMap<>();
    private final List<Operation> operations = new ArrayList<>();
    private final List<Anomaly> anomalies = new ArrayList<>();
    private final long startNanos;
    private final boolean incrementsCreate;

    History(long startNanos) {
        this(startNanos, false);
    }

    /** {@code incrementsCreate}: an increment of a missing key creates it (Redis), where memcached's finds nothing. */
    History(long startNanos, boolean incrementsCreate) {
        this.startNanos = startNanos;
        this.incrementsCreate = incrementsCreate;
    }

    /** Before the run: {@code writer} is the only client that will write {@code key}. */
    synchronized void declare(String key, KeyKind kind, String writer) {
        if (keys.putIfAbsent(key, new KeySpec(key, kind, writer)) != null) {
            throw new IllegalStateException("key declared twice: " + key);
        }
    }

    synchronized void record(Operation operation) {
        KeySpec spec = keys.get(operation.key());
        if (spec == null) {
            throw new IllegalStateException("undeclared key in " + operation);
        }
        if (operation.isWrite() && !spec.writer().equals(operation.client())) {
            throw new IllegalStateException(operation.client() + " wrote " + spec.writer() + "'s key: " + operation);
        }
        operations.add(operation);
    }

    synchronized void anomaly(String client, String key, String what) {
        anomalies.add(new Anomaly(client, key, what));
    }

    synchronized Snapshot snapshot() {
        return new Snapshot(Collections.unmodifiableMap(new LinkedHashMap<>(keys)), List.copyOf(operations),
                List.copyOf(anomalies), startNanos, incrementsCreate);
    }

    /** A consistent copy for the checker; times print as milliseconds since {@code startNanos}. */
    record Snapshot(Map<String, KeySpec> keys, List<Operation> operations, List<Anomaly> anomalies, long startNanos,
                    boolean incrementsCreate) {
    }
}
