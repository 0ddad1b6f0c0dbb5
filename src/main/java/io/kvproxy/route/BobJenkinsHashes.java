package io.kvproxy.route;

import java.nio.ByteBuffer;

/**
 * Bob Jenkins' two hashes as twemproxy uses them: {@code one_at_a_time} (which reads key bytes as signed
 * {@code char}, so bytes &ge; 0x80 are sign-extended) and {@code jenkins}, lookup3's
 * {@code hashlittle} with initial value 13 (which reads bytes unsigned, as little-endian words).
 */
final class BobJenkinsHashes {

    private static final int LOOKUP3_INITIAL_VALUE = 13;

    private BobJenkinsHashes() {
    }

    static int oneAtATime(ByteBuffer buf, int offset, int length) {
        int hash = 0;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            hash += buf.get(i); // signed byte on purpose: twemproxy's char is signed on x86-64
            hash += hash << 10;
            hash ^= hash >>> 6;
        }
        hash += hash << 3;
        hash ^= hash >>> 11;
        hash += hash << 15;
        return hash;
    }

    /**
     * lookup3 {@code hashlittle}: whole 12-byte blocks are mixed while more than 12 bytes remain; the
     * last 1..12 bytes are added zero-padded and finalised. A zero-length key skips the final mix.
     */
    static int lookup3(ByteBuffer buf, int offset, int length) {
        int a = 0xdeadbeef + length + LOOKUP3_INITIAL_VALUE;
        int b = a;
        int c = a;
        int position = offset;
        int remaining = length;
        while (remaining > 12) {
            a += littleEndianWord(buf, position, 4);
            b += littleEndianWord(buf, position + 4, 4);
            c += littleEndianWord(buf, position + 8, 4);
            // mix(a, b, c)
            a -= c; a ^= Integer.rotateLeft(c, 4);  c += b;
            b -= a; b ^= Integer.rotateLeft(a, 6);  a += c;
            c -= b; c ^= Integer.rotateLeft(b, 8);  b += a;
            a -= c; a ^= Integer.rotateLeft(c, 16); c += b;
            b -= a; b ^= Integer.rotateLeft(a, 19); a += c;
            c -= b; c ^= Integer.rotateLeft(b, 4);  b += a;
            position += 12;
            remaining -= 12;
        }
        if (remaining == 0) {
            return c;
        }
        a += littleEndianWord(buf, position, Math.min(remaining, 4));
        if (remaining > 4) {
            b += littleEndianWord(buf, position + 4, Math.min(remaining - 4, 4));
        }
        if (remaining > 8) {
            c += littleEndianWord(buf, position + 8, remaining - 8);
        }
        // final(a, b, c)
        c ^= b; c -= Integer.rotateLeft(b, 14);
        a ^= c; a -= Integer.rotateLeft(c, 11);
        b ^= a; b -= Integer.rotateLeft(a, 25);
        c ^= b; c -= Integer.rotateLeft(b, 16);
        a ^= c; a -= Integer.rotateLeft(c, 4);
        b ^= a; b -= Integer.rotateLeft(a, 14);
        c ^= b; c -= Integer.rotateLeft(b, 24);
        return c;
    }

    /** Up to four unsigned bytes from {@code index} as a little-endian word, missing high bytes zero. */
    private static int littleEndianWord(ByteBuffer buf, int index, int count) {
        int word = 0;
        for (int i = count - 1; i >= 0; i--) {
            word = (word << 8) | (buf.get(index + i) & 0xff);
        }
        return word;
    }
}
