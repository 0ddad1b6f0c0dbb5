package io.kvproxy.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BufferTest {

    private static byte[] bytes(int count, char fill) {
        return bytes(count, (byte) fill);
    }

    private static byte[] bytes(int count, byte fill) {
        byte[] out = new byte[count];
        Arrays.fill(out, fill);
        return out;
    }

    @Test
    void growsByDoublingAndKeepsTheUnreadBytes() {
        Buffer buffer = new Buffer(8, 1024);
        buffer.put(bytes(6, 'a'));
        buffer.skip(4);
        buffer.put(bytes(20, 'b'));
        assertEquals(32, buffer.capacity());
        assertEquals(22, buffer.readable());
        assertEquals("aabbbbbbbbbbbbbbbbbbbb", buffer.toString(buffer.readIndex(), buffer.readable()));
    }

    @Test
    void growthUpToTheRetainedCapacityIsKeptAcrossUses() {
        Buffer buffer = new Buffer(256, 4096, 1 << 20);
        buffer.put(bytes(2000, 'k'));
        ByteBuffer grown = buffer.raw();
        buffer.clear();
        buffer.shrink();
        // A 10-key get's keys or replies come back every request: reallocating them would churn direct memory.
        assertSame(grown, buffer.raw());
        assertEquals(2048, buffer.capacity());
        buffer.put(bytes(2000, 'k'));
        assertSame(grown, buffer.raw());
    }

    @Test
    void growthBeyondTheRetainedCapacityIsGivenBackOnceEmpty() {
        Buffer buffer = new Buffer(256, 4096, 1 << 20);
        buffer.put(bytes(100_000, 'v'));
        buffer.shrink();
        assertEquals(131_072, buffer.capacity(), "not empty: nothing is given back");
        buffer.skip(100_000);
        buffer.shrink();
        assertEquals(256, buffer.capacity());
        assertEquals(0, buffer.readable());
    }

    @Test
    void withoutARetainedCapacityShrinkReturnsToTheInitialSize() {
        Buffer buffer = new Buffer(16, 1024);
        buffer.put(bytes(40, 'x'));
        buffer.clear();
        buffer.shrink();
        assertEquals(16, buffer.capacity());
    }

    @Test
    void refusesToGrowPastItsMaximum() {
        Buffer buffer = new Buffer(16, 64);
        buffer.put(bytes(64, 'x'));
        assertThrows(Buffer.BufferLimitException.class, () -> buffer.put((byte) 'y'));
        assertEquals(64, buffer.readable());
    }

    @Test
    void capacitiesMustBeOrdered() {
        assertThrows(IllegalArgumentException.class, () -> new Buffer(0, 16));
        assertThrows(IllegalArgumentException.class, () -> new Buffer(32, 16, 64));
        assertThrows(IllegalArgumentException.class, () -> new Buffer(16, 128, 64));
    }

    @Test
    void indexOfFindsTheFirstMatchAtEveryOffsetAndAlignment() {
        // Bytes next to the one sought (value - 1, value + 1, 0x00, 0xff) must never be taken for it.
        byte[] noise = {'\r', 0, (byte) 0xff, 11, 9, (byte) 0x8a, 'a', ' '};
        for (int length = 0; length <= 40; length++) {
            for (int from = 0; from < 9; from++) {
                for (int at = -1; at < length; at++) {
                    Buffer buffer = new Buffer(64, 64);
                    for (int i = 0; i < from + length; i++) {
                        buffer.put(noise[i % noise.length]);
                    }
                    if (at >= 0) {
                        buffer.set(from + at, (byte) '\n');
                        if (from + at + 3 < from + length) {
                            buffer.set(from + at + 3, (byte) '\n');
                        }
                    }
                    assertEquals(at < 0 ? -1 : from + at, buffer.indexOf((byte) '\n', from, from + length),
                            "length " + length + " from " + from + " at " + at);
                }
            }
        }
    }

    @Test
    void indexOfMatchesHighBytes() {
        Buffer buffer = new Buffer(64, 64);
        buffer.put(bytes(20, (byte) 0x7f));
        buffer.set(13, (byte) 0x80);
        assertEquals(13, buffer.indexOf((byte) 0x80, 0, 20));
        assertEquals(-1, buffer.indexOf((byte) 0x80, 0, 13));
        assertEquals(0, buffer.indexOf((byte) 0x7f, 0, 20));
    }

    @Test
    void regionEqualsComparesEveryByteOfEveryLength() {
        for (int length = 0; length <= 30; length++) {
            Buffer a = new Buffer(64, 64);
            Buffer b = new Buffer(64, 64);
            a.put(bytes(3, 'x')).put(bytes(length, 'k'));
            b.put(bytes(length, 'k'));
            assertTrue(a.regionEquals(3, b, 0, length));
            for (int differing = 0; differing < length; differing++) {
                b.set(differing, (byte) 'q');
                assertFalse(a.regionEquals(3, b, 0, length), "length " + length + " differing at " + differing);
                b.set(differing, (byte) 'k');
            }
        }
    }
}
