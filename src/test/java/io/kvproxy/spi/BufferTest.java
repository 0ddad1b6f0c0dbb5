package io.kvproxy.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BufferTest {

    private static byte[] bytes(int count, char fill) {
        byte[] out = new byte[count];
        Arrays.fill(out, (byte) fill);
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
}
