package io.kvproxy.route;

import java.nio.ByteBuffer;

/**
 * The CRC hashes: {@code crc32a} (standard CRC-32, also the original kvproxy's ring hash),
 * {@code crc32} (libmemcached's 15-bit fold of it) and {@code crc16} (CRC-16/XMODEM whose 32-bit
 * accumulator twemproxy never masks, so bits above 16 carry shifted-out garbage that still decides
 * placement). Computed from tables here rather than with {@link java.util.zip.CRC32}, whose
 * ByteBuffer update would move the caller's position and whose array update would need a copy.
 */
final class CrcHashes {

    private static final int CRC32_REFLECTED_POLYNOMIAL = 0xedb88320;
    private static final int CRC16_POLYNOMIAL = 0x1021;
    private static final int[] CRC32_TABLE = crc32Table();
    private static final int[] CRC16_TABLE = crc16Table();

    private CrcHashes() {
    }

    /** Standard CRC-32 (IEEE 802.3, reflected, init and xorout 0xFFFFFFFF): {@code java.util.zip.CRC32}. */
    static int crc32(ByteBuffer buf, int offset, int length) {
        int crc = 0xffffffff;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            crc = (crc >>> 8) ^ CRC32_TABLE[(crc ^ buf.get(i)) & 0xff];
        }
        return ~crc;
    }

    /** libmemcached's {@code crc32}: bits 16..30 of the standard CRC-32 (0..32767). */
    static int crc32Libmemcached(ByteBuffer buf, int offset, int length) {
        return (crc32(buf, offset, length) >>> 16) & 0x7fff;
    }

    /** CRC-16/XMODEM (poly 0x1021, init 0) with the unmasked 32-bit accumulator. */
    static int crc16(ByteBuffer buf, int offset, int length) {
        int crc = 0;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            crc = (crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ buf.get(i)) & 0xff];
        }
        return crc;
    }

    private static int[] crc32Table() {
        int[] table = new int[256];
        for (int n = 0; n < 256; n++) {
            int c = n;
            for (int bit = 0; bit < 8; bit++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ CRC32_REFLECTED_POLYNOMIAL : c >>> 1;
            }
            table[n] = c;
        }
        return table;
    }

    private static int[] crc16Table() {
        int[] table = new int[256];
        for (int n = 0; n < 256; n++) {
            int c = n << 8;
            for (int bit = 0; bit < 8; bit++) {
                c = (c & 0x8000) != 0 ? (c << 1) ^ CRC16_POLYNOMIAL : c << 1;
            }
            table[n] = c & 0xffff;
        }
        return table;
    }
}
