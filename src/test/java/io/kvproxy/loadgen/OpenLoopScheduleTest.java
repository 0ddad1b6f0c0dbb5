package io.kvproxy.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class OpenLoopScheduleTest {

    private static final long START = 5_000_000_000L;

    @Test
    void requestsAreSpacedByTheRateFromTheStart() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(START, 4);
        assertEquals(START, schedule.intendedNanos(0));
        assertEquals(START + 250_000_000L, schedule.intendedNanos(1));
        assertEquals(START + 1_000_000_000L, schedule.intendedNanos(4));
    }

    @Test
    void aRateThatDoesNotDivideASecondDoesNotDrift() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(START, 3);
        assertEquals(START + 333_333_333L, schedule.intendedNanos(1));
        assertEquals(START + 666_666_666L, schedule.intendedNanos(2));
        // Three million requests later the schedule is exactly a million seconds on: no accumulated rounding.
        assertEquals(START + 1_000_000L * 1_000_000_000L, schedule.intendedNanos(3_000_000));
    }

    @Test
    void aRequestIsDueExactlyAtItsIntendedTime() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(START, 3);
        assertEquals(0, schedule.dueBy(START - 1));
        assertEquals(1, schedule.dueBy(START));
        assertEquals(1, schedule.dueBy(START + 333_333_332L));
        assertEquals(2, schedule.dueBy(START + 333_333_333L));
        assertEquals(3, schedule.dueBy(START + 999_999_999L));
        assertEquals(4, schedule.dueBy(START + 1_000_000_000L));
    }

    @Test
    void dueByAgreesWithIntendedTimesAtEveryBoundaryOfAHighRate() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(START, 123_457);
        for (long k = 0; k < 200_000; k += 997) {
            long at = schedule.intendedNanos(k);
            assertEquals(k + 1, schedule.dueBy(at), "at request " + k);
            assertEquals(k, schedule.dueBy(at - 1), "just before request " + k);
        }
    }

    @Test
    void aStalledSenderFindsEveryMissedRequestDueWithItsOwnTime() {
        // The schedule does not wait for the sender: after a 2 s stall at 1,000/s, 2,001 requests are due,
        // each still carrying the time it was meant to go, which is what its latency is measured from.
        OpenLoopSchedule schedule = new OpenLoopSchedule(START, 1_000);
        assertEquals(2_001, schedule.dueBy(START + 2_000_000_000L));
        assertEquals(START + 1_000_000L, schedule.intendedNanos(1));
    }

    @Test
    void aRateBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new OpenLoopSchedule(START, 0));
    }
}
