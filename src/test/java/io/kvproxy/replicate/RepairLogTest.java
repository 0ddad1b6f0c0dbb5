package io.kvproxy.replicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepairLogTest {

    private static Buffer key(String text) {
        return new Buffer(256, 4096).put(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static boolean record(RepairLog log, int server, RepairLog.Kind kind, String text) {
        Buffer buffer = key(text);
        return log.record(server, kind, 0, buffer, 0, buffer.readable());
    }

    private static List<String> entries(RepairLog log) {
        List<String> found = new ArrayList<>();
        for (int e = 0; e < log.entryLimit(); e++) {
            if (log.isLive(e)) {
                Buffer copy = new Buffer(256, 4096);
                log.copyKey(e, copy);
                found.add(log.server(e) + ":" + log.kind(e) + ":" + copy.toString(0, copy.readable()));
            }
        }
        return found;
    }

    @Test
    void onePerServerAndKeyWithTheStrongerKind() {
        RepairLog log = new RepairLog(3, 100);
        assertTrue(record(log, 1, RepairLog.Kind.STAND_IN, "k"));
        assertTrue(record(log, 1, RepairLog.Kind.MISSED, "k"));
        assertTrue(record(log, 1, RepairLog.Kind.STAND_IN, "k"));
        assertTrue(record(log, 2, RepairLog.Kind.STAND_IN, "k"));
        assertEquals(List.of("1:MISSED:k", "2:STAND_IN:k"), entries(log));
    }

    @Test
    void fullMeansRefusedNotDropped() {
        RepairLog log = new RepairLog(1, 3);
        for (int i = 0; i < 3; i++) {
            assertTrue(record(log, 0, RepairLog.Kind.REPLICA, "k" + i));
        }
        assertFalse(record(log, 0, RepairLog.Kind.REPLICA, "k3"));
        assertTrue(record(log, 0, RepairLog.Kind.REPLICA, "k1"), "a key already held needs no room");
        assertEquals(3, log.size());
    }

    @Test
    void anAnswerSettlesItsEntryUnlessRecordedAgainMeanwhile() {
        RepairLog log = new RepairLog(1, 10);
        record(log, 0, RepairLog.Kind.REPLICA, "a");
        record(log, 0, RepairLog.Kind.REPLICA, "b");
        int a = 0;
        int b = 1;
        int serialA = log.serial(a);
        int serialB = log.serial(b);
        log.repairSent(a, 1);
        log.repairSent(b, 1);
        record(log, 0, RepairLog.Kind.REPLICA, "b");
        log.repairAnswered(a, serialA, true);
        log.repairAnswered(b, serialB, true);
        assertEquals(List.of("0:REPLICA:b"), entries(log), "b was recorded again after its delete was sent");
        assertFalse(log.isRepairing(b));
        log.repairSent(b, 1);
        log.repairAnswered(b, serialB, false);
        assertEquals(1, log.size(), "a failed delete keeps the entry");
    }

    @Test
    void aLateAnswerNeverSettlesANewerEntryInTheSameSlot() {
        RepairLog log = new RepairLog(1, 10);
        record(log, 0, RepairLog.Kind.REPLICA, "old");
        int serial = log.serial(0);
        log.repairSent(0, 1);
        log.remove(0);
        record(log, 0, RepairLog.Kind.REPLICA, "new");
        log.repairAnswered(0, serial, true);
        assertEquals(List.of("0:REPLICA:new"), entries(log));
    }

    @Test
    void manyKeysGrowAndFindAndSettle() {
        RepairLog log = new RepairLog(2, 100_000);
        for (int i = 0; i < 20_000; i++) {
            assertTrue(record(log, i % 2, RepairLog.Kind.MISSED, "key:" + i));
        }
        for (int i = 0; i < 20_000; i++) {
            assertTrue(record(log, i % 2, RepairLog.Kind.MISSED, "key:" + i));
        }
        assertEquals(20_000, log.size());
        for (int e = 0; e < log.entryLimit(); e++) {
            if (log.isLive(e)) {
                log.repairSent(e, 1);
                log.repairAnswered(e, log.serial(e), true);
            }
        }
        assertTrue(log.isEmpty());
    }

    /**
     * The table grows when an entry is added; every key recorded again after its entry settled is held
     * again, whichever record made the table grow (a grown table once held the growing entry twice, and
     * a later record of its key updated the settled copy, so the write was not held).
     */
    @Test
    void aKeyRecordedAgainAfterItsEntrySettledIsHeldAgainAcrossGrowth() {
        for (int n = 1; n <= 300; n++) {
            RepairLog log = new RepairLog(2, 100_000);
            for (int i = 0; i < n; i++) {
                assertTrue(record(log, 0, RepairLog.Kind.STAND_IN, "key:" + i));
            }
            // The last record may have grown the table; settle its entry, then record its key again.
            String last = "key:" + (n - 1);
            int entry = log.entryLimit() - 1;
            log.repairSent(entry, 1);
            log.repairAnswered(entry, log.serial(entry), true);
            if (n > 1) {
                assertFalse(entries(log).contains("0:STAND_IN:" + last), last + " settled");
            }
            assertTrue(record(log, 0, RepairLog.Kind.STAND_IN, last));
            assertTrue(entries(log).contains("0:STAND_IN:" + last), last + " recorded again after it settled is not held (" + n
                    + " keys)");
            assertEquals(n, log.size());
        }
    }

    @Test
    void aFlushSettlesEveryEntryOfItsServer() {
        RepairLog log = new RepairLog(2, 10);
        record(log, 0, RepairLog.Kind.REPLICA, "a");
        record(log, 1, RepairLog.Kind.REPLICA, "b");
        log.requireFlush(0);
        assertTrue(log.flushNeeded(0));
        log.flushed(0);
        assertFalse(log.flushNeeded(0));
        assertEquals(List.of("1:REPLICA:b"), entries(log));
    }
}
