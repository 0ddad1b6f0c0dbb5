package io.kvproxy.route;

import java.nio.ByteBuffer;

/**
 * The four FNV variants of twemproxy. All read key bytes as signed {@code char} (sign-extended before
 * the xor). Two of them are not what their names promise, and kvproxy must keep that: {@code fnv1_64}
 * runs a real 64-bit FNV-1 and keeps the low 32 bits, while {@code fnv1a_64} (twemproxy's default) runs
 * a 32-bit FNV-1a seeded and multiplied with the low 32 bits of the 64-bit constants.
 */
final class FnvHashes {

    private static final long OFFSET_BASIS_64 = 0xcbf29ce484222325L;
    private static final long PRIME_64 = 0x100000001b3L;
    private static final int OFFSET_BASIS_32 = 0x811c9dc5;
    private static final int PRIME_32 = 16777619;

    private FnvHashes() {
    }

    /** {@code fnv1_64}: 64-bit state; each signed byte is sign-extended to 64 bits. */
    static int fnv1With64BitState(ByteBuffer buf, int offset, int length) {
        long hash = OFFSET_BASIS_64;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            hash *= PRIME_64;
            hash ^= buf.get(i);
        }
        return (int) hash;
    }

    /** {@code fnv1a_64}: the 64-bit constants truncated to 32 bits, arithmetic mod 2^32. */
    static int fnv1aWithTruncated64BitConstants(ByteBuffer buf, int offset, int length) {
        int hash = (int) OFFSET_BASIS_64;
        int prime = (int) PRIME_64;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            hash ^= buf.get(i);
            hash *= prime;
        }
        return hash;
    }

    /** {@code fnv1_32}. */
    static int fnv1(ByteBuffer buf, int offset, int length) {
        int hash = OFFSET_BASIS_32;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            hash *= PRIME_32;
            hash ^= buf.get(i);
        }
        return hash;
    }

    /** {@code fnv1a_32}. */
    static int fnv1a(ByteBuffer buf, int offset, int length) {
        int hash = OFFSET_BASIS_32;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            hash ^= buf.get(i);
            hash *= PRIME_32;
        }
        return hash;
    }
}
