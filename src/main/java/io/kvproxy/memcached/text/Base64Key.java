package io.kvproxy.memcached.text;

import io.kvproxy.spi.Buffer;

/**
 * Keys of the meta protocol's {@code b} flag: base64 on the wire, stored by memcached as the decoded
 * bytes. The proxy routes such a key on its decoded bytes, so {@code mg Zm9v b} lands where {@code mg foo}
 * does, and writes a key that text cannot carry (a space, a control byte) as base64 again when it must
 * name it in a request of its own (a repair's delete). Standard alphabet, padded, read as memcached reads
 * it (a group of four at a time; the key ends at the first padding); no allocation.
 */
final class Base64Key {

    private static final byte[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] VALUES = new byte[256];

    static {
        java.util.Arrays.fill(VALUES, (byte) -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            VALUES[ALPHABET[i]] = (byte) i;
        }
    }

    private Base64Key() {
    }

    /**
     * Appends the bytes that {@code [offset, offset + length)} of {@code in} encodes to {@code out};
     * returns their count, or -1 (nothing appended) when it is not padded base64.
     */
    static int decode(Buffer in, int offset, int length, Buffer out) {
        if (length == 0 || length % 4 != 0) {
            return -1;
        }
        int start = out.writeIndex();
        for (int i = 0; i < length; i += 4) {
            int a = value(in.get(offset + i));
            int b = value(in.get(offset + i + 1));
            byte third = in.get(offset + i + 2);
            byte fourth = in.get(offset + i + 3);
            int padding = fourth != '=' ? 0 : third == '=' ? 2 : 1;
            int c = padding == 2 ? 0 : value(third);
            int d = padding >= 1 ? 0 : value(fourth);
            if (a < 0 || b < 0 || c < 0 || d < 0) {
                out.truncate(start);
                return -1;
            }
            int bits = a << 18 | b << 12 | c << 6 | d;
            out.put((byte) (bits >> 16));
            if (padding < 2) {
                out.put((byte) (bits >> 8));
            }
            if (padding < 1) {
                out.put((byte) bits);
            } else {
                // As memcached's decoder: the key ends at its padding, whatever follows.
                break;
            }
        }
        return out.writeIndex() - start;
    }

    /** Appends {@code [offset, offset + length)} of {@code in}, base64-encoded and padded, to {@code out}. */
    static void encode(Buffer in, int offset, int length, Buffer out) {
        for (int i = 0; i < length; i += 3) {
            int left = Math.min(3, length - i);
            int bits = (in.get(offset + i) & 0xff) << 16;
            if (left > 1) {
                bits |= (in.get(offset + i + 1) & 0xff) << 8;
            }
            if (left > 2) {
                bits |= in.get(offset + i + 2) & 0xff;
            }
            out.put(ALPHABET[bits >> 18 & 63]).put(ALPHABET[bits >> 12 & 63]);
            out.put(left > 1 ? ALPHABET[bits >> 6 & 63] : (byte) '=').put(left > 2 ? ALPHABET[bits & 63] : (byte) '=');
        }
    }

    /** Whether a text command can carry the key as it is: no space, no control byte. */
    static boolean isTextSafe(Buffer key, int offset, int length) {
        for (int i = 0; i < length; i++) {
            int b = key.get(offset + i) & 0xff;
            if (b <= ' ' || b == 0x7f) {
                return false;
            }
        }
        return length > 0;
    }

    private static int value(byte character) {
        return VALUES[character & 0xff];
    }
}
