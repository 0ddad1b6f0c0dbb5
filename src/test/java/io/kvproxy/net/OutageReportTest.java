package io.kvproxy.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class OutageReportTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private final OutageReport report = new OutageReport();

    @Test
    @Timeout(5)
    void aServerThatStaysOutGetsItsFirstProbeSaidThenOneSummaryAMinute() {
        long start = 1_000 * SECOND;
        report.ejected(3, start);
        List<Long> lines = new java.util.ArrayList<>();
        // A probe every 2 s for 5 minutes.
        for (long t = start + 2 * SECOND; t <= start + 300 * SECOND; t += 2 * SECOND) {
            if (report.probeFailed(3, t)) {
                lines.add((t - start) / SECOND);
                assertEquals((t - start) / SECOND, report.outForSeconds(3, t));
                assertEquals(lines.size() == 1 ? 1 : 30, report.failedProbes(3), "the probes since the last line, at " + t);
                report.summarized(3);
            }
        }
        assertEquals(List.of(2L, 62L, 122L, 182L, 242L), lines, "seconds after the ejection");
    }

    @Test
    @Timeout(5)
    void noSecondLineWithinAMinute() {
        report.ejected(0, 0);
        assertTrue(report.probeFailed(0, SECOND), "the first failed probe");
        for (long t = 2 * SECOND; t < 61 * SECOND; t += SECOND) {
            assertFalse(report.probeFailed(0, t), "at " + t);
        }
        assertTrue(report.probeFailed(0, 61 * SECOND));
    }

    @Test
    @Timeout(5)
    void anOutageStartsAfreshAfterARejoinAndForAServerFirstSeenOut() {
        report.ejected(1, 0);
        report.rejoined(1);
        assertEquals(0, report.outForSeconds(1, 500 * SECOND), "not out");
        // Out again without an ejection here (a reload added it out of the ring): the first probe starts it.
        assertTrue(report.probeFailed(1, 1_000 * SECOND));
        assertFalse(report.probeFailed(1, 1_010 * SECOND));
        assertEquals(10, report.outForSeconds(1, 1_010 * SECOND));
        assertTrue(report.probeFailed(7, 5 * SECOND), "a number never seen before");
        assertFalse(report.probeFailed(7, 64 * SECOND));
        assertTrue(report.probeFailed(7, 65 * SECOND));
    }
}
