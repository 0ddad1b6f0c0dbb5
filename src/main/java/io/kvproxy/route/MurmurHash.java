package io.kvproxy.route;

import java.nio.ByteBuffer;

/**
 * MurmurHash2 as twemproxy's {@code murmur}: the seed is {@code 0xdeadbeef * length} rather than a
 * constant, blocks are little-endian and tail bytes unsigned.
 */
final class MurmurHash {

    private static final int M = 0x5bd1e995;
    private static final int R = 24;
    private static final int SEED_FACTOR = 0xdeadbeef;

    private MurmurHash() {
    }

    static int hash(ByteBuffer buf, int offset, int length) {
        int hash = (SEED_FACTOR * length) ^ length;
        int position = offset;
        int remaining = length;
        while (remaining >= 4) {
            int k = (buf.get(position) & 0xff)
                    | (buf.get(position + 1) & 0xff) << 8
                    | (buf.get(position + 2) & 0xff) << 16
                    | (buf.get(position + 3) & 0xff) << 24;
            k *= M;
            k ^= k >>> R;
            k *= M;
            hash *= M;
            hash ^= k;
            position += 4;
            remaining -= 4;
        }
        if (remaining > 0) {
            if (remaining == 3) {
                hash ^= (buf.get(position + 2) & 0xff) << 16;
            }
            if (remaining >= 2) {
                hash ^= (buf.get(position + 1) & 0xff) << 8;
            }
            hash ^= buf.get(position) & 0xff;
            hash *= M;
        }
        hash ^= hash >>> 13;
        hash *= M;
        hash ^= hash >>> 15;
        return hash;
    }
}
