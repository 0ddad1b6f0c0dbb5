package io.kvproxy.route;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The {@code hash_tag} setting: lets related keys such as {@code user:{42}:name} and
 * {@code user:{42}:mail} land on one server by hashing only the part between the tag characters.
 * twemproxy's rules: the first {@code open} in the key, then the first {@code close} after it; when
 * both are found and the part between them is non-empty, that part is hashed, otherwise the whole key.
 * {@code open} and {@code close} may be equal ({@code "$$"}).
 *
 * <p>The region is returned packed into one long so that a lookup allocates nothing: the start offset
 * (absolute, like the input) in the high 32 bits and the length in the low 32 bits; take it apart with
 * {@link #regionOffset(long)} and {@link #regionLength(long)}.
 *
 * @param open first tag character (an ASCII byte)
 * @param close second tag character (an ASCII byte)
 */
public record HashTag(byte open, byte close) {

    /**
     * Parses the config value: exactly two characters, both ASCII (a key is bytes, and a non-ASCII
     * character is not one byte). Empty otherwise, for the config to report.
     */
    public static Optional<HashTag> parse(String twoChars) {
        if (twoChars == null || twoChars.length() != 2) {
            return Optional.empty();
        }
        char open = twoChars.charAt(0);
        char close = twoChars.charAt(1);
        if (open > 0x7f || close > 0x7f) {
            return Optional.empty();
        }
        return Optional.of(new HashTag((byte) open, (byte) close));
    }

    /**
     * The part of the key {@code buf[offset, offset + length)} to hash, packed as
     * {@code (long) start << 32 | length}; the whole key when the tag does not apply. Reads with
     * absolute indices; does not allocate or move the buffer.
     */
    public long region(ByteBuffer buf, int offset, int length) {
        int end = offset + length;
        for (int start = offset; start < end; start++) {
            if (buf.get(start) == open) {
                for (int stop = start + 1; stop < end; stop++) {
                    if (buf.get(stop) == close) {
                        return stop - start > 1 ? pack(start + 1, stop - start - 1) : pack(offset, length);
                    }
                }
                return pack(offset, length);
            }
        }
        return pack(offset, length);
    }

    /** Convenience for tests and config-time work: the region of a whole array. */
    public long region(byte[] key) {
        return region(ByteBuffer.wrap(key), 0, key.length);
    }

    /** Start offset of a packed region. */
    public static int regionOffset(long region) {
        return (int) (region >>> 32);
    }

    /** Length of a packed region. */
    public static int regionLength(long region) {
        return (int) region;
    }

    private static long pack(int offset, int length) {
        return (long) offset << 32 | (length & 0xffffffffL);
    }

    @Override
    public String toString() {
        return "HashTag[" + (char) open + (char) close + "]";
    }
}
