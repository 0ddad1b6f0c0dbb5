package io.kvproxy.spi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * A byte queue over a direct {@link ByteBuffer}: bytes are appended at the write index and consumed from
 * the read index. It grows on demand up to a fixed maximum.
 *
 * <p>Two kinds. A <em>pooled</em> buffer (a client connection's, a request's) holds memory only while it
 * holds bytes: it takes a chunk from its worker's {@link BufferPool} when bytes are first written or read
 * into it, trades it for a larger one to grow, and gives it back on {@link #shrink()} once empty (or on
 * {@link #release()}), so an idle connection holds none and the steady state allocates nothing. An
 * <em>unpooled</em> buffer (a backend connection's: few, and busy for life) owns its memory and keeps what
 * it grew to up to a retained capacity; {@link #shrink()} gives back only what a rare large request or
 * reply made it grow beyond that.
 *
 * <p>Ownership: every buffer belongs to one connection of one worker. Whoever reads a region through
 * absolute indices (a parsed key, a reply view) may rely on it only until the owner next consumes,
 * compacts, grows or shrinks the buffer. Not thread-safe.
 */
public final class Buffer {

    /** No memory: a pooled buffer at rest. Absolute reads of it fail, as there is nothing to read. */
    private static final ByteBuffer NONE = ByteBuffer.allocateDirect(0);

    /** Null for an unpooled buffer. */
    private final BufferPool pool;
    private final int initialCapacity;
    private final int retainedCapacity;
    private final int maxCapacity;
    /** Its position and limit serve socket I/O only and are reset after it; everything else is absolute. */
    private ByteBuffer bytes;
    private int readIndex;
    private int writeIndex;

    /** A buffer that gives back everything beyond {@code initialCapacity} on {@link #shrink()}. */
    public Buffer(int initialCapacity, int maxCapacity) {
        this(initialCapacity, initialCapacity, maxCapacity);
    }

    /**
     * @param initialCapacity capacity at creation, and after {@link #shrink()} if it grew past the retained one
     * @param retainedCapacity growth up to this size is kept: the everyday size of what passes through
     * @param maxCapacity the most it may grow to; an append beyond it throws {@link BufferLimitException}
     */
    public Buffer(int initialCapacity, int retainedCapacity, int maxCapacity) {
        if (initialCapacity <= 0 || retainedCapacity < initialCapacity || maxCapacity < retainedCapacity) {
            throw new IllegalArgumentException(
                    "capacity " + initialCapacity + ".." + retainedCapacity + ".." + maxCapacity);
        }
        this.pool = null;
        this.initialCapacity = initialCapacity;
        this.retainedCapacity = retainedCapacity;
        this.maxCapacity = maxCapacity;
        this.bytes = ByteBuffer.allocateDirect(initialCapacity);
    }

    /**
     * A pooled buffer: no memory until bytes arrive, then chunks of {@code pool}, given back when empty.
     *
     * @param firstChunkBytes the chunk it takes first (a socket read fills what it is given: 16 KiB for a
     *     connection, less for a request's reply)
     * @param maxCapacity the most it may grow to; an append beyond it throws {@link BufferLimitException}
     */
    public Buffer(BufferPool pool, int firstChunkBytes, int maxCapacity) {
        if (firstChunkBytes <= 0 || maxCapacity < firstChunkBytes) {
            throw new IllegalArgumentException("capacity " + firstChunkBytes + ".." + maxCapacity);
        }
        this.pool = pool;
        this.initialCapacity = firstChunkBytes;
        this.retainedCapacity = 0;
        this.maxCapacity = maxCapacity;
        this.bytes = NONE;
    }

    public int readIndex() {
        return readIndex;
    }

    public int writeIndex() {
        return writeIndex;
    }

    /** Bytes between the read and the write index. */
    public int readable() {
        return writeIndex - readIndex;
    }

    public boolean isEmpty() {
        return readIndex == writeIndex;
    }

    public int capacity() {
        return bytes.capacity();
    }

    public int maxCapacity() {
        return maxCapacity;
    }

    /** The byte at absolute {@code index}. */
    public byte get(int index) {
        return bytes.get(index);
    }

    /** The unsigned big-endian 16-bit value at absolute {@code index}. */
    public int getUnsignedShort(int index) {
        return bytes.getShort(index) & 0xffff;
    }

    /** The big-endian 32-bit value at absolute {@code index}. */
    public int getInt(int index) {
        return bytes.getInt(index);
    }

    /** The big-endian 64-bit value at absolute {@code index}. */
    public long getLong(int index) {
        return bytes.getLong(index);
    }

    /** Overwrites the byte at absolute {@code index} (e.g. a reply's opcode). */
    public void set(int index, byte value) {
        bytes.put(index, value);
    }

    /** The backing buffer, for absolute reads (hashing, digests); never change its position or limit. */
    public ByteBuffer raw() {
        return bytes;
    }

    /** Consumes {@code count} bytes. */
    public void skip(int count) {
        if (count < 0 || count > readable()) {
            throw new IllegalStateException("skip " + count + " of " + readable() + " readable bytes");
        }
        readIndex += count;
        if (readIndex == writeIndex) {
            readIndex = 0;
            writeIndex = 0;
        }
    }

    /** Drops everything. */
    public void clear() {
        readIndex = 0;
        writeIndex = 0;
    }

    /**
     * Index of the first {@code value} in {@code [from, to)}, or -1. Eight bytes at a time: finding line ends
     * in requests and replies is the parsers' inner loop.
     */
    public int indexOf(byte value, int from, int to) {
        int i = from;
        if (to - from >= Long.BYTES) {
            long pattern = (value & 0xffL) * 0x0101010101010101L;
            for (; i <= to - Long.BYTES; i += Long.BYTES) {
                long match = zeroBytes(bytes.getLong(i) ^ pattern);
                if (match != 0) {
                    // Big-endian: the earliest byte is the most significant.
                    return i + (Long.numberOfLeadingZeros(match) >>> 3);
                }
            }
        }
        for (; i < to; i++) {
            if (bytes.get(i) == value) {
                return i;
            }
        }
        return -1;
    }

    /** The high bit of each byte of {@code word} that is zero, and no other bit (exact, no false positives). */
    private static long zeroBytes(long word) {
        long low7 = 0x7f7f7f7f7f7f7f7fL;
        long t = (word & low7) + low7;
        return ~(t | word | low7);
    }

    /** Whether the bytes at {@code index} equal {@code expected}. */
    public boolean regionEquals(int index, byte[] expected) {
        if (index < 0 || index + expected.length > writeIndex) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (bytes.get(index + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code [index, index + length)} of this and {@code [otherIndex, ...)} of {@code other} are equal. */
    public boolean regionEquals(int index, Buffer other, int otherIndex, int length) {
        int i = 0;
        for (; i <= length - Long.BYTES; i += Long.BYTES) {
            if (bytes.getLong(index + i) != other.bytes.getLong(otherIndex + i)) {
                return false;
            }
        }
        for (; i < length; i++) {
            if (bytes.get(index + i) != other.bytes.get(otherIndex + i)) {
                return false;
            }
        }
        return true;
    }

    /** The region as text, for messages and tests; allocates. */
    public String toString(int index, int length) {
        byte[] copy = new byte[length];
        bytes.get(index, copy, 0, length);
        return new String(copy, StandardCharsets.ISO_8859_1);
    }

    public Buffer put(byte value) {
        ensureWritable(1);
        bytes.put(writeIndex++, value);
        return this;
    }

    public Buffer put(byte[] source) {
        return put(source, 0, source.length);
    }

    public Buffer put(byte[] source, int offset, int length) {
        ensureWritable(length);
        bytes.put(writeIndex, source, offset, length);
        writeIndex += length;
        return this;
    }

    /** Appends {@code length} bytes of {@code source} from its absolute {@code offset}. */
    public Buffer put(Buffer source, int offset, int length) {
        ensureWritable(length);
        bytes.put(writeIndex, source.bytes, offset, length);
        writeIndex += length;
        return this;
    }

    /** Appends an ASCII string (protocol words, numbers); characters above 0xff are a programming error. */
    public Buffer putAscii(CharSequence text) {
        int length = text.length();
        ensureWritable(length);
        for (int i = 0; i < length; i++) {
            bytes.put(writeIndex + i, (byte) text.charAt(i));
        }
        writeIndex += length;
        return this;
    }

    /** Appends the decimal digits of an unsigned 64-bit value, without allocating. */
    public Buffer putDecimal(long unsignedValue) {
        if (unsignedValue >= 0 && unsignedValue < 10) {
            return put((byte) ('0' + unsignedValue));
        }
        int digits = 0;
        long rest = unsignedValue;
        do {
            digits++;
            rest = Long.divideUnsigned(rest, 10);
        } while (rest != 0);
        ensureWritable(digits);
        rest = unsignedValue;
        for (int i = writeIndex + digits - 1; i >= writeIndex; i--) {
            bytes.put(i, (byte) ('0' + Long.remainderUnsigned(rest, 10)));
            rest = Long.divideUnsigned(rest, 10);
        }
        writeIndex += digits;
        return this;
    }

    /** Appends a big-endian 16-bit value. */
    public Buffer putShort(int value) {
        ensureWritable(2);
        bytes.putShort(writeIndex, (short) value);
        writeIndex += 2;
        return this;
    }

    /** Appends a big-endian 32-bit value. */
    public Buffer putInt(int value) {
        ensureWritable(4);
        bytes.putInt(writeIndex, value);
        writeIndex += 4;
        return this;
    }

    /** Appends a big-endian 64-bit value. */
    public Buffer putLong(long value) {
        ensureWritable(8);
        bytes.putLong(writeIndex, value);
        writeIndex += 8;
        return this;
    }

    /** Overwrites a big-endian 32-bit value at absolute {@code index} (a length field written before its body). */
    public void setInt(int index, int value) {
        bytes.putInt(index, value);
    }

    /** Removes the bytes written after {@code writeIndex} (undoes a partly written request). */
    public void truncate(int newWriteIndex) {
        if (newWriteIndex < readIndex || newWriteIndex > writeIndex) {
            throw new IllegalStateException("truncate to " + newWriteIndex + " outside " + readIndex + ".." + writeIndex);
        }
        writeIndex = newWriteIndex;
    }

    /**
     * Reads from {@code channel} into the free space, making room first.
     *
     * @return bytes read, 0 when the buffer is full at its maximum, -1 at end of stream
     */
    public int readFrom(ReadableByteChannel channel) throws IOException {
        if (bytes == NONE) {
            bytes = pool.take(initialCapacity);
        }
        if (writeIndex == bytes.capacity()) {
            compact();
            if (writeIndex == bytes.capacity()) {
                if (bytes.capacity() >= maxCapacity) {
                    return 0;
                }
                grow(bytes.capacity() + 1);
            }
        }
        int read;
        try {
            bytes.position(writeIndex);
            read = channel.read(bytes);
        } finally {
            bytes.position(0);
        }
        if (read > 0) {
            writeIndex += read;
        }
        return read;
    }

    /** Writes readable bytes to {@code channel}, consuming what was written. */
    public int writeTo(WritableByteChannel channel) throws IOException {
        if (isEmpty()) {
            return 0;
        }
        int written;
        try {
            bytes.limit(writeIndex).position(readIndex);
            written = channel.write(bytes);
        } finally {
            bytes.limit(bytes.capacity()).position(0);
        }
        skip(written);
        return written;
    }

    /** Whether room for {@code count} more bytes can be made without exceeding the maximum. */
    public boolean canAppend(int count) {
        return (long) readable() + count <= maxCapacity;
    }

    /** Moves the readable bytes to the start, making room at the end. Invalidates absolute indices. */
    public void compact() {
        if (readIndex == 0) {
            return;
        }
        int readable = readable();
        if (readable > 0) {
            // Through the buffer itself, not duplicates: a backend connection compacts whenever a reply's
            // parts have been handed on and a partial one is left, so this must not allocate.
            bytes.limit(writeIndex).position(readIndex);
            bytes.compact();
            bytes.clear();
        }
        readIndex = 0;
        writeIndex = readable;
    }

    /**
     * Once nothing is left to read, gives memory back: all of it for a pooled buffer (to the pool, which
     * hands it out again without allocating); for an unpooled one, what a request or reply larger than
     * the retained capacity made it grow to (smaller growth is kept: reallocating it on every request
     * would churn direct memory).
     */
    public void shrink() {
        if (!isEmpty()) {
            return;
        }
        if (pool != null) {
            release();
        } else if (bytes.capacity() > retainedCapacity) {
            ByteBuffer outgrown = bytes;
            bytes = ByteBuffer.allocateDirect(initialCapacity);
            clear();
            // Freed now: left to the GC, outgrown buffers pile up to MaxDirectMemorySize between collections.
            BufferPool.release(outgrown);
        }
    }

    /**
     * A pooled buffer drops what it holds and gives its chunk back (its connection is closing); the next
     * write takes a new one. An unpooled buffer is only cleared.
     */
    public void release() {
        clear();
        if (pool != null && bytes != NONE) {
            ByteBuffer chunk = bytes;
            bytes = NONE;
            pool.give(chunk);
        }
    }

    /** Whether it holds memory now (a pooled buffer at rest holds none). */
    public boolean holdsMemory() {
        return bytes.capacity() > 0;
    }

    /** Makes room for {@code count} more bytes at the write index, compacting or growing as needed. */
    public void ensureWritable(int count) {
        if (bytes.capacity() - writeIndex >= count) {
            return;
        }
        if (!canAppend(count)) {
            throw new BufferLimitException(readable() + count, maxCapacity);
        }
        if (bytes == NONE) {
            bytes = pool.take(Math.max(initialCapacity, count));
            return;
        }
        if (readIndex > 0 && bytes.capacity() - readable() >= count) {
            compact();
            return;
        }
        grow(readable() + count);
    }

    private void grow(int needed) {
        int capacity = Math.max(1, bytes.capacity());
        while (capacity < needed) {
            capacity = (int) Math.min((long) capacity * 2, maxCapacity);
        }
        ByteBuffer larger = pool != null ? pool.take(capacity) : ByteBuffer.allocateDirect(capacity);
        ByteBuffer old = bytes;
        int readable = readable();
        if (readable > 0) {
            larger.put(0, old, readIndex, readable);
        }
        writeIndex = readable;
        readIndex = 0;
        bytes = larger;
        if (pool != null && old != NONE) {
            pool.give(old);
        } else if (pool == null) {
            BufferPool.release(old);
        }
    }

    /** An append would take the buffer past its maximum. */
    public static final class BufferLimitException extends RuntimeException {
        public BufferLimitException(long needed, int maxCapacity) {
            super("buffer needs " + needed + " bytes, limit " + maxCapacity);
        }
    }
}
