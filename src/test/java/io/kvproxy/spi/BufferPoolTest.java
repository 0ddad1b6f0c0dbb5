package io.kvproxy.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

    private static final int MAX_FREE_PER_CLASS = 64 * 1024;

    @Test
    void chunksArePowersOfTwoAndComeBackForReuse() {
        BufferPool pool = new BufferPool(MAX_FREE_PER_CLASS);
        ByteBuffer small = pool.take(1);
        ByteBuffer odd = pool.take(3000);
        assertEquals(BufferPool.MIN_CHUNK_BYTES, small.capacity());
        assertEquals(4096, odd.capacity());
        pool.give(odd);
        assertEquals(4096, pool.freeBytes());
        assertSame(odd, pool.take(4096));
        assertEquals(0, pool.freeBytes());
        assertEquals(2, pool.allocatedChunks());
    }

    @Test
    void chunksBeyondTheLargestClassAreNotKept() {
        BufferPool pool = new BufferPool(MAX_FREE_PER_CLASS);
        ByteBuffer large = pool.take(BufferPool.MAX_POOLED_CHUNK_BYTES + 1);
        assertEquals(BufferPool.MAX_POOLED_CHUNK_BYTES + 1, large.capacity());
        pool.give(large);
        assertEquals(0, pool.freeBytes());
    }

    @Test
    void freeMemoryPerClassIsBounded() {
        BufferPool pool = new BufferPool(MAX_FREE_PER_CLASS);
        ByteBuffer[] taken = new ByteBuffer[10];
        for (int i = 0; i < taken.length; i++) {
            taken[i] = pool.take(16 * 1024);
        }
        for (ByteBuffer chunk : taken) {
            pool.give(chunk);
        }
        assertEquals(MAX_FREE_PER_CLASS, pool.freeBytes());
    }

    @Test
    void trimFreesWhatStayedUnusedSinceTheLastTrim() {
        BufferPool pool = new BufferPool(MAX_FREE_PER_CLASS);
        ByteBuffer a = pool.take(1024);
        ByteBuffer b = pool.take(1024);
        pool.give(a);
        pool.give(b);
        pool.trim(); // the first trim only starts the count: both were taken during the interval
        assertEquals(2048, pool.freeBytes());
        pool.give(pool.take(1024)); // one is used in the next interval, the other not
        assertEquals(1024, pool.trim());
        assertEquals(1024, pool.freeBytes());
        assertEquals(1024, pool.trim());
        assertEquals(0, pool.freeBytes());
    }

    @Test
    void aPooledBufferHoldsMemoryOnlyWhileItHoldsBytes() {
        BufferPool pool = new BufferPool(MAX_FREE_PER_CLASS);
        Buffer buffer = new Buffer(pool, 256, 1 << 20);
        assertFalse(buffer.holdsMemory());
        assertEquals(0, buffer.capacity());
        buffer.put("get k\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(buffer.holdsMemory());
        buffer.skip(3);
        buffer.shrink(); // not empty: kept
        assertEquals(" k\r\n", buffer.toString(buffer.readIndex(), buffer.readable()));
        buffer.skip(buffer.readable());
        buffer.shrink();
        assertFalse(buffer.holdsMemory());
        assertEquals(256, pool.freeBytes());
        buffer.put((byte) 'x');
        assertEquals(0, pool.freeBytes(), "the chunk given back is taken again");
        assertEquals(1, pool.allocatedChunks());
    }

    @Test
    void aPooledBufferGrowsByTradingChunksAndKeepsItsBytes() {
        BufferPool pool = new BufferPool(MAX_FREE_PER_CLASS);
        Buffer buffer = new Buffer(pool, 256, 1 << 20);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            String line = "VALUE k" + i + " 0 1\r\nv\r\n";
            expected.append(line);
            buffer.putAscii(line);
        }
        assertEquals(2048, buffer.capacity(), expected.length() + " bytes");
        assertEquals(256 + 512 + 1024, pool.freeBytes(), "the smaller chunks went back");
        assertEquals(expected.toString(), buffer.toString(buffer.readIndex(), buffer.readable()));
        buffer.release();
        assertFalse(buffer.holdsMemory());
        assertEquals(0, buffer.readable());
    }

    @Test
    void aPooledBufferReadsAndWritesSocketsThroughItsChunk() throws IOException {
        BufferPool pool = new BufferPool(MAX_FREE_PER_CLASS);
        Buffer buffer = new Buffer(pool, 16, 1 << 20);
        byte[] input = "0123456789".repeat(10).getBytes(StandardCharsets.US_ASCII);
        ReadableByteChannel source = Channels.newChannel(new java.io.ByteArrayInputStream(input));
        while (buffer.readFrom(source) > 0) {
            assertEquals(buffer.capacity(), buffer.raw().limit(), "absolute reads see the whole chunk after I/O");
        }
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        buffer.writeTo(Channels.newChannel(sink));
        assertEquals(new String(input, StandardCharsets.US_ASCII), sink.toString(StandardCharsets.US_ASCII));
        buffer.shrink();
        assertFalse(buffer.holdsMemory());
    }
}
