package io.kvproxy.route;

import java.nio.ByteBuffer;

/**
 * Paul Hsieh's SuperFastHash as twemproxy's {@code hsieh}: initial hash 0 rather than the key length,
 * 16-bit little-endian reads, and one signed read (the third byte of a 3-byte tail is sign-extended
 * before the shift), which decides where keys with non-ASCII tails land.
 */
final class HsiehHash {

    private HsiehHash() {
    }

    static int hash(ByteBuffer buf, int offset, int length) {
        if (length <= 0) {
            return 0;
        }
        int hash = 0;
        int position = offset;
        for (int blocks = length >>> 2; blocks > 0; blocks--) {
            hash += unsigned16(buf, position);
            int tmp = (unsigned16(buf, position + 2) << 11) ^ hash;
            hash = (hash << 16) ^ tmp;
            hash += hash >>> 11;
            position += 4;
        }
        switch (length & 3) {
            case 3 -> {
                hash += unsigned16(buf, position);
                hash ^= hash << 16;
                hash ^= buf.get(position + 2) << 18; // signed on purpose
                hash += hash >>> 11;
            }
            case 2 -> {
                hash += unsigned16(buf, position);
                hash ^= hash << 11;
                hash += hash >>> 17;
            }
            case 1 -> {
                hash += buf.get(position) & 0xff;
                hash ^= hash << 10;
                hash += hash >>> 1;
            }
            default -> {
                // no tail
            }
        }
        hash ^= hash << 3;
        hash += hash >>> 5;
        hash ^= hash << 4;
        hash += hash >>> 17;
        hash ^= hash << 25;
        hash += hash >>> 6;
        return hash;
    }

    private static int unsigned16(ByteBuffer buf, int index) {
        return (buf.get(index) & 0xff) | (buf.get(index + 1) & 0xff) << 8;
    }
}
