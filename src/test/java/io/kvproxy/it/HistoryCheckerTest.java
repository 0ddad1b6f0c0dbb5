package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.it.History.KeyKind;
import io.kvproxy.it.History.Kind;
import io.kvproxy.it.History.Operation;
import io.kvproxy.it.History.Outcome;
import io.kvproxy.it.HistoryChecker.Rule;
import io.kvproxy.it.HistoryChecker.ServerView;
import io.kvproxy.it.HistoryChecker.Violation;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The checker on hand-made histories; times are in milliseconds for readability. */
@Timeout(10)
class HistoryCheckerTest {

    private final History history = new History(0);

    HistoryCheckerTest() {
        history.declare("k", KeyKind.REGISTER, "w");
        history.declare("n", KeyKind.COUNTER_UP, "w");
        history.declare("d", KeyKind.COUNTER_DOWN, "w");
    }

    private void op(Kind kind, String key, long seq, String value, long invokeMillis, long doneMillis, Outcome outcome) {
        history.record(new Operation(kind == Kind.READ ? "r" : "w", kind, key, seq, value, invokeMillis * 1_000_000,
                doneMillis * 1_000_000, outcome));
    }

    private List<Violation> violations() {
        return new HistoryChecker(history.snapshot()).checkOperations(Long.MAX_VALUE);
    }

    private static List<Rule> rules(List<Violation> violations) {
        return violations.stream().map(Violation::rule).toList();
    }

    @Test
    void aReadOfAnOlderValueAfterANewerWriteWasAcknowledgedIsStale() {
        op(Kind.SET, "k", 1, "w-1", 0, 1, Outcome.ACK);
        op(Kind.SET, "k", 2, "w-2", 2, 3, Outcome.ACK);
        op(Kind.READ, "k", 0, "w-1", 4, 5, Outcome.VALUE);
        List<Violation> violations = violations();
        assertEquals(List.of(Rule.STALE_READ), rules(violations));
        String report = new HistoryChecker(history.snapshot()).report(violations.get(0), 42);
        assertTrue(report.contains("seed=42") && report.contains("> r ") && report.contains("w-2"), report);
    }

    @Test
    void aReadConcurrentWithTheNewerWriteMayStillSeeTheOlderValue() {
        op(Kind.SET, "k", 1, "w-1", 0, 1, Outcome.ACK);
        op(Kind.SET, "k", 2, "w-2", 2, 6, Outcome.ACK);
        op(Kind.READ, "k", 0, "w-1", 4, 5, Outcome.VALUE);
        op(Kind.READ, "k", 0, null, 7, 8, Outcome.MISS);
        op(Kind.READ, "k", 0, null, 7, 8, Outcome.ERROR);
        assertEquals(List.of(), violations());
    }

    @Test
    void aValueSeenAfterAnAcknowledgedDeleteIsStale() {
        op(Kind.SET, "k", 1, "w-1", 0, 1, Outcome.ACK);
        op(Kind.DELETE, "k", 2, null, 2, 3, Outcome.ACK);
        op(Kind.READ, "k", 0, "w-1", 4, 5, Outcome.VALUE);
        assertEquals(List.of(Rule.STALE_READ), rules(violations()));
    }

    @Test
    void aValueOfAnUnknownOutcomeWriteNewerThanTheAcknowledgedOneIsLegitimate() {
        op(Kind.SET, "k", 1, "w-1", 0, 1, Outcome.ACK);
        op(Kind.SET, "k", 2, "w-2", 2, 3, Outcome.NO_REPLY);
        op(Kind.READ, "k", 0, "w-2", 10, 11, Outcome.VALUE);
        op(Kind.DELETE, "k", 3, null, 12, 13, Outcome.ACK);
        op(Kind.SET, "k", 4, "w-4", 14, 15, Outcome.ERROR);
        op(Kind.READ, "k", 0, "w-4", 20, 21, Outcome.VALUE);
        assertEquals(List.of(), violations());
    }

    @Test
    void anUnknownOutcomeWriteMayTakeEffectAfterALaterAcknowledgedOneButAnAcknowledgedOneMayNot() {
        // w-1 timed out: a hung server may still apply it after w-2, as Jepsen treats indeterminate writes.
        op(Kind.SET, "k", 1, "w-1", 0, 1, Outcome.ERROR);
        op(Kind.SET, "k", 2, "w-2", 2, 3, Outcome.ACK);
        op(Kind.READ, "k", 0, "w-1", 4, 5, Outcome.VALUE);
        op(Kind.SET, "k", 3, "w-3", 6, 7, Outcome.ACK);
        op(Kind.READ, "k", 0, "w-2", 8, 9, Outcome.VALUE);
        assertEquals(List.of(Rule.STALE_READ), rules(violations()));
    }

    @Test
    void aValueNoWriteOfTheKeySentIsAnotherRequestsReply() {
        op(Kind.SET, "k", 1, "w-1", 5, 6, Outcome.ACK);
        op(Kind.READ, "k", 0, "x-7", 0, 1, Outcome.VALUE);
        op(Kind.READ, "k", 0, "w-1", 0, 1, Outcome.VALUE); // before the set was sent
        op(Kind.READ, "n", 0, "w-1", 0, 1, Outcome.VALUE);
        assertEquals(List.of(Rule.FOREIGN_VALUE, Rule.FOREIGN_VALUE, Rule.FOREIGN_VALUE), rules(violations()));
    }

    @Test
    void countersMayOnlyMoveTheirWayAfterAnAcknowledgement() {
        op(Kind.INCR, "n", 1, "5", 0, 1, Outcome.ACK);
        op(Kind.INCR, "n", 2, null, 2, 3, Outcome.NO_REPLY);
        op(Kind.READ, "n", 0, "6", 4, 5, Outcome.VALUE);
        op(Kind.READ, "n", 0, "4", 4, 5, Outcome.VALUE);
        op(Kind.INCR, "n", 3, "3", 6, 7, Outcome.ACK);
        op(Kind.DECR, "d", 1, "100", 0, 1, Outcome.ACK);
        op(Kind.READ, "d", 0, "101", 4, 5, Outcome.VALUE);
        assertEquals(List.of(Rule.COUNTER_BACKWARDS, Rule.STALE_READ, Rule.STALE_READ), rules(violations()));
    }

    /**
     * Redis's INCR creates a missing key, from nothing: its value, below every reset's base, says nothing
     * of the acknowledged writes before it (the key was lost) until a write issued after every increment
     * that may have created it is acknowledged.
     */
    @Test
    void aCounterAnIncrementCreatedFromNothingIsStaleOnceAWriteAfterThatIncrementIsAcknowledged() {
        History redis = new History(0, true);
        redis.declare("n", KeyKind.COUNTER_UP, "w");
        String base = Long.toString(History.counterBase(KeyKind.COUNTER_UP, 1));
        record(redis, Kind.SET, 1, base, 0, 1, Outcome.ACK);
        record(redis, Kind.INCR, 2, "3", 2, 3, Outcome.CREATED);
        record(redis, Kind.READ, 0, "3", 4, 5, Outcome.VALUE);
        record(redis, Kind.INCR, 3, null, 6, 7, Outcome.ERROR);
        record(redis, Kind.READ, 0, "5", 8, 9, Outcome.VALUE);
        assertEquals(List.of(), new HistoryChecker(redis.snapshot()).checkOperations(Long.MAX_VALUE));
        String reset = Long.toString(History.counterBase(KeyKind.COUNTER_UP, 4));
        record(redis, Kind.SET, 4, reset, 10, 11, Outcome.ACK);
        record(redis, Kind.READ, 0, "5", 12, 13, Outcome.VALUE);
        List<Violation> violations = new HistoryChecker(redis.snapshot()).checkOperations(Long.MAX_VALUE);
        assertEquals(List.of(Rule.STALE_READ), rules(violations));
        assertTrue(violations.get(0).message().contains("created from nothing by w's INCR (seq 3"), violations.get(0).message());
    }

    private static void record(History into, Kind kind, long seq, String value, long invokeMillis, long doneMillis, Outcome outcome) {
        into.record(new Operation(kind == Kind.READ ? "r" : "w", kind, "n", seq, value, invokeMillis * 1_000_000, doneMillis * 1_000_000, outcome));
    }

    @Test
    void aStaleCounterValueIsTracedToTheResetItCountsFrom() {
        assertEquals(7, History.counterResetSeq(KeyKind.COUNTER_UP, History.counterBase(KeyKind.COUNTER_UP, 7) + 999_999_999));
        assertEquals(7, History.counterResetSeq(KeyKind.COUNTER_DOWN, History.counterBase(KeyKind.COUNTER_DOWN, 7) - 999_999_999));
        String base = Long.toString(History.counterBase(KeyKind.COUNTER_UP, 1));
        op(Kind.SET, "n", 1, base, 0, 1, Outcome.ERROR);
        op(Kind.INCR, "n", 2, History.counterBase(KeyKind.COUNTER_UP, 2) + "", 2, 3, Outcome.ACK);
        op(Kind.READ, "n", 0, base, 4, 5, Outcome.VALUE);
        List<Violation> violations = violations();
        assertEquals(List.of(Rule.STALE_READ), rules(violations));
        assertEquals(2, violations.get(0).named().size(), violations.toString());
        assertTrue(violations.get(0).message().contains("since w's SET"), violations.get(0).message());
    }

    @Test
    void readsTooRecentForTheirWriteToBeRecordedWaitForALaterCheck() {
        op(Kind.READ, "k", 0, "w-1", 10, 11, Outcome.VALUE);
        assertEquals(List.of(), new HistoryChecker(history.snapshot()).checkOperations(5_000_000));
    }

    @Test
    void aWireAnomalyIsAViolationByItself() {
        history.anomaly("h", "k", "3 of 5 requests answered before the connection closed");
        assertEquals(List.of(Rule.UNANSWERED_OR_WRONG_REPLY), rules(violations()));
    }

    @Test
    void aLostDeleteLeavesTheKeyOnAServerAndTheBackupMustMirrorItsMaster() {
        history.declare("j", KeyKind.REGISTER, "w");
        history.declare("u", KeyKind.REGISTER, "w");
        op(Kind.SET, "k", 1, "w-1", 0, 1, Outcome.ACK);
        op(Kind.DELETE, "k", 2, null, 2, 3, Outcome.ACK);
        op(Kind.SET, "j", 1, "w-j1", 0, 1, Outcome.ACK);
        op(Kind.SET, "j", 2, "w-j2", 2, 3, Outcome.ACK);
        op(Kind.DELETE, "u", 1, null, 0, 1, Outcome.ACK);
        op(Kind.SET, "u", 2, "w-u2", 2, 3, Outcome.NO_REPLY); // a later unknown write explains u being there
        Map<String, String> master0 = new HashMap<>(Map.of("j", "w-j2", "u", "w-u2"));
        Map<String, String> master1 = new HashMap<>(Map.of("k", "w-1")); // a copy left on another master
        Map<String, String> backup0 = new HashMap<>(Map.of("j", "w-j1", "u", "w-u2"));
        HistoryChecker checker = new HistoryChecker(history.snapshot());
        List<Violation> violations = checker.checkFinal(List.of(new ServerView("m0", master0), new ServerView("m1", master1)),
                List.of(new ServerView("b0", backup0), new ServerView("b1", Map.of("j", "w-j1", "u", "w-u2"))), key -> 0);
        // k: a copy on m1 outlived the delete; j: b0 is behind m0, and so is a stray on b1; u: b1's stray equals m0's value.
        assertEquals(List.of(Rule.DELETED_KEY_PRESENT, Rule.BACKUP_DIVERGES, Rule.BACKUP_DIVERGES), rules(violations), violations.toString());
    }

    @Test
    void accountingMustAddUpAndCoverEveryAcknowledgedWrite() {
        assertEquals(List.of(Rule.ACCOUNTING), rules(HistoryChecker.checkAccounting(Map.of("kvproxy_replicated", 3L), 0)));
        Map<String, Long> stats = Map.of("kvproxy_replication_accepted", 10L, "kvproxy_replicated", 6L, "kvproxy_replication_dropped", 1L,
                "kvproxy_replication_failed", 2L, "kvproxy_replication_in_flight", 1L);
        assertEquals(List.of(), HistoryChecker.checkAccounting(stats, 10));
        assertEquals(List.of(Rule.ACCOUNTING), rules(HistoryChecker.checkAccounting(stats, 11)));
        Map<String, Long> unbalanced = new HashMap<>(stats);
        unbalanced.put("kvproxy_replicated", 5L);
        assertEquals(List.of(Rule.ACCOUNTING), rules(HistoryChecker.checkAccounting(unbalanced, 0)));
    }
}
