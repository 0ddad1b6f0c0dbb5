package io.kvproxy.memcached.text;

import io.kvproxy.spi.Buffer;

/**
 * Keys of the meta protocol's {@code b} flag: base64 on the wire, stored by memcached as the decoded
 * bytes. The proxy routes such a key on its decoded bytes, so {@code mg Zm9v b} lands where {@code mg foo}
 * does, and writes a key that text cannot carry (a space, a control byte) as base64 again when it must
 * name it in a request of its own (a repair's delete). Standard alphabet, padded, read exactly as
 * memcached reads it, so that the proxy routes on the bytes the server stores; no allocation.
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
        // Padding decodes as a zero digit: memcached counts it with the alphabet.
        VALUES['='] = 0;
    }

    private Base64Key() {
    }

    /**
     * Appends the bytes that {@code [offset, offset + length)} of {@code in} encodes to {@code out}, read as
     * memcached's decoder reads them: characters outside the alphabet are skipped, {@code =} counts as a
     * zero digit, the characters that count must make groups of four, and the key ends with the first
     * group that holds padding (one or two {@code =}; more is an error). Returns the count of bytes
     * appended, or -1 (nothing appended) when memcached would answer that it cannot decode the key.
     */
    static int decode(Buffer in, int offset, int length, Buffer out) {
        int counted = 0;
        for (int i = 0; i < length; i++) {
            counted += value(in.get(offset + i)) >= 0 ? 1 : 0;
        }
        if (counted == 0 || counted % 4 != 0) {
            return -1;
        }
        int start = out.writeIndex();
        int bits = 0;
        int digits = 0;
        int padding = 0;
        for (int i = 0; i < length; i++) {
            byte character = in.get(offset + i);
            int value = value(character);
            if (value < 0) {
                continue;
            }
            padding += character == '=' ? 1 : 0;
            bits = bits << 6 | value;
            if (++digits < 4) {
                continue;
            }
            if (padding > 2) {
                out.truncate(start);
                return -1;
            }
            out.put((byte) (bits >> 16));
            if (padding < 2) {
                out.put((byte) (bits >> 8));
            }
            if (padding < 1) {
                out.put((byte) bits);
            } else {
                break;
            }
            bits = 0;
            digits = 0;
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
