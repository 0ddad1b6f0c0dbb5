package io.kvproxy.spi;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The direct memory of one worker's connection buffers, in power-of-two chunks of
 * {@value #MIN_CHUNK_BYTES} B to 1 MiB, reused instead of allocated anew.
 *
 * <p>Why: a connection's {@link Buffer}s hold a chunk only while they hold bytes, so an idle connection
 * costs no buffer memory at all; and memory a worker gives back and takes again is memory that neither
 * the JVM nor malloc has to find again. Allocating direct buffers per connection and leaving them to the
 * garbage collector's Cleaner let resident memory climb under connection churn: the JVM frees direct
 * memory only after a GC, and the allocator keeps the fragments.
 *
 * <p>Ownership (as Okio's segments): a chunk belongs to the pool while it is free and to exactly one
 * {@link Buffer} while taken. The buffer takes one when bytes are first written to it and gives it back
 * when it is empty again ({@link Buffer#shrink()}, {@link Buffer#release()}); once given back it never
 * touches the chunk again. A chunk larger than the largest class is allocated for the occasion and freed
 * at once when given back.
 *
 * <p>Bounds: at most {@code maxFreeBytesPerClass} of free chunks per size class (more are freed when given
 * back), and {@link #trim()} frees the chunks that stayed free since the previous trim, so the memory of a
 * burst goes back after it. Freeing is explicit (the JDK's Cleaner, invoked now), not left to a GC.
 *
 * <p>Owner: one worker thread; every buffer using a pool belongs to that worker. Not thread-safe.
 */
public final class BufferPool {

    private static final Logger log = LoggerFactory.getLogger(BufferPool.class);

    public static final int MIN_CHUNK_BYTES = 256;
    public static final int MAX_POOLED_CHUNK_BYTES = 1024 * 1024;
    private static final int MIN_SHIFT = Integer.numberOfTrailingZeros(MIN_CHUNK_BYTES);
    private static final int CLASSES = Integer.numberOfTrailingZeros(MAX_POOLED_CHUNK_BYTES) - MIN_SHIFT + 1;
    private static final MethodHandle INVOKE_CLEANER = findCleaner();

    /** Free chunks per size class, a stack: the most recently given back is taken first (still in cache). */
    private final ByteBuffer[][] free = new ByteBuffer[CLASSES][];
    private final int[] freeCount = new int[CLASSES];
    /** The fewest free chunks each class had since the previous trim: that many nobody needed. */
    private final int[] fewestFreeSinceTrim = new int[CLASSES];
    private long freeBytes;
    private long allocatedChunks;

    /** @param maxFreeBytesPerClass free memory kept per size class (at least two chunks of each) */
    public BufferPool(int maxFreeBytesPerClass) {
        for (int c = 0; c < CLASSES; c++) {
            free[c] = new ByteBuffer[Math.max(2, maxFreeBytesPerClass / classBytes(c))];
        }
    }

    /**
     * A chunk of at least {@code minBytes}, position 0 and limit at its capacity: a power of two up to 1 MiB,
     * else exactly {@code minBytes}. The caller owns it until it {@link #give gives it back}.
     */
    public ByteBuffer take(int minBytes) {
        if (minBytes > MAX_POOLED_CHUNK_BYTES) {
            allocatedChunks++;
            return ByteBuffer.allocateDirect(minBytes);
        }
        int c = classOf(minBytes);
        int count = freeCount[c];
        if (count == 0) {
            allocatedChunks++;
            return ByteBuffer.allocateDirect(classBytes(c));
        }
        count--;
        ByteBuffer chunk = free[c][count];
        free[c][count] = null;
        freeCount[c] = count;
        if (count < fewestFreeSinceTrim[c]) {
            fewestFreeSinceTrim[c] = count;
        }
        freeBytes -= chunk.capacity();
        return chunk.clear();
    }

    /** Takes back a chunk from {@link #take}; the giver must not touch it again. */
    public void give(ByteBuffer chunk) {
        int capacity = chunk.capacity();
        if (capacity > MAX_POOLED_CHUNK_BYTES || Integer.bitCount(capacity) != 1 || capacity < MIN_CHUNK_BYTES) {
            release(chunk);
            return;
        }
        int c = classOf(capacity);
        if (freeCount[c] == free[c].length) {
            release(chunk);
            return;
        }
        free[c][freeCount[c]++] = chunk;
        freeBytes += capacity;
    }

    /** Frees every chunk that stayed free since the previous trim (no buffer needed it); returns the bytes freed. */
    public long trim() {
        long freed = 0;
        for (int c = 0; c < CLASSES; c++) {
            for (int unused = fewestFreeSinceTrim[c]; unused > 0; unused--) {
                int top = --freeCount[c];
                release(free[c][top]);
                free[c][top] = null;
                freed += classBytes(c);
            }
            fewestFreeSinceTrim[c] = freeCount[c];
        }
        freeBytes -= freed;
        return freed;
    }

    /** Bytes in free chunks, kept for reuse. */
    public long freeBytes() {
        return freeBytes;
    }

    /** Chunks allocated so far: flat once warm, whatever the number of connections opened and closed. */
    public long allocatedChunks() {
        return allocatedChunks;
    }

    private static int classOf(int bytes) {
        int shift = 32 - Integer.numberOfLeadingZeros(Math.max(bytes, MIN_CHUNK_BYTES) - 1);
        return shift - MIN_SHIFT;
    }

    private static int classBytes(int sizeClass) {
        return 1 << (sizeClass + MIN_SHIFT);
    }

    /**
     * Frees a direct buffer's memory now rather than at some later GC (an unpooled {@link Buffer} frees what
     * it outgrew so). The caller must be its only owner and never touch it again.
     */
    static void release(ByteBuffer chunk) {
        if (INVOKE_CLEANER == null) {
            return; // no Cleaner access: the GC frees it once unreachable
        }
        try {
            INVOKE_CLEANER.invokeExact(chunk);
        } catch (Throwable e) {
            throw new IllegalStateException("freeing a direct buffer of " + chunk.capacity() + " bytes failed", e);
        }
    }

    /** {@code sun.misc.Unsafe.invokeCleaner}, as Netty frees direct buffers; null where it is not reachable. */
    private static MethodHandle findCleaner() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            Object unsafe = field.get(null);
            return MethodHandles.lookup()
                    .findVirtual(unsafeClass, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(unsafe);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("direct buffers will be freed by the garbage collector only: {}", e.toString());
            return null;
        }
    }
}
