package io.kvproxy.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A request split over servers: one part per server, answers counted down, failures kept, slots reused. */
class RequestPartsTest {

    private final List<Counted> made = new ArrayList<>();
    private final RequestParts<Counted> parts = new RequestParts<>(() -> {
        Counted part = new Counted();
        made.add(part);
        return part;
    });
    private final ScriptedBackend one = new ScriptedBackend();
    private final ScriptedBackend two = new ScriptedBackend();

    @Test
    @Timeout(5)
    void onePartPerServerAndTheRequestCompletesWithItsLastAnswer() {
        Counted first = parts.add(one);
        Counted second = parts.add(two);

        assertSame(first, parts.partFor(one));
        assertSame(second, parts.get(1));
        assertEquals(1, second.index());
        assertSame(two, second.backend());
        assertNull(parts.partFor(new ScriptedBackend()));
        parts.expectAnswer();
        assertFalse(parts.answered());
        assertFalse(parts.answered());
        assertTrue(parts.answered());
        assertThrows(IllegalStateException.class, parts::answered);
    }

    @Test
    @Timeout(5)
    void failuresAreKeptPerPart() {
        parts.add(one).markFailed(null);
        parts.add(two).markFailed(BackendFailure.TIMEOUT);
        parts.add(new ScriptedBackend());

        assertEquals(2, parts.failedCount());
        assertEquals(BackendFailure.TIMEOUT, parts.firstFailure());
    }

    @Test
    @Timeout(5)
    void slotsAreReusedAfterClearWithTheirStateReset() {
        for (int i = 0; i < 9; i++) {
            parts.add(new ScriptedBackend()).markFailed(BackendFailure.UNAVAILABLE);
        }
        parts.clear();
        Counted again = parts.add(one);

        assertEquals(9, made.size());
        assertSame(made.get(0), again);
        assertFalse(again.failed());
        assertNull(again.failure());
        assertEquals(1, parts.count());
        assertThrows(IllegalStateException.class, () -> parts.get(1));
    }

    /** A part that takes no reply: these tests only split and count. */
    private static final class Counted extends RequestParts.Part {
        @Override
        public void onReply(Buffer buffer, int offset, int length) {
            throw new IllegalStateException("no replies in this test");
        }

        @Override
        public void onFailure(BackendFailure failure) {
            throw new IllegalStateException("no failures in this test");
        }
    }
}
