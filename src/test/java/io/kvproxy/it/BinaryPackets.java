package io.kvproxy.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Building binary request packets and reading reply packets, for raw-socket tests. */
final class BinaryPackets {

    static final int GET = 0x00, SET = 0x01, DELETE = 0x04, INCREMENT = 0x05, DECREMENT = 0x06, QUIT = 0x07, FLUSH = 0x08, GETQ = 0x09,
            NOOP = 0x0a, GETK = 0x0c, GETKQ = 0x0d, APPENDQ = 0x19, SETQ = 0x11, DELETEQ = 0x14, INCREMENTQ = 0x15;
    /** Reply status: the key is not there. */
    static final int KEY_NOT_FOUND = 0x0001;

    private BinaryPackets() {
    }

    static byte[] request(int opcode, byte[] extras, String key, String value, int opaque) {
        byte[] keyBytes = key.getBytes(StandardCharsets.US_ASCII);
        byte[] valueBytes = value.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer packet = ByteBuffer.allocate(24 + extras.length + keyBytes.length + valueBytes.length);
        packet.put((byte) 0x80).put((byte) opcode).putShort((short) keyBytes.length).put((byte) extras.length).put((byte) 0)
                .putShort((short) 0).putInt(extras.length + keyBytes.length + valueBytes.length).putInt(opaque).putLong(0)
                .put(extras).put(keyBytes).put(valueBytes);
        return packet.array();
    }

    static byte[] flagsAndExpiry(int flags, int expiry) {
        return ByteBuffer.allocate(8).putInt(flags).putInt(expiry).array();
    }

    static byte[] arithmetic(long delta, long initial, int expiry) {
        return ByteBuffer.allocate(20).putLong(delta).putLong(initial).putInt(expiry).array();
    }

    /** One reply packet, with CAS kept apart so replies from different servers compare equal. */
    record Reply(int opcode, int status, int opaque, long cas, String key, byte[] extras, String value) {
        @Override
        public String toString() {
            return String.format("op=0x%02x status=0x%04x opaque=%d key=%s value=%s%s", opcode, status, opaque, key, value,
                    cas != 0 ? " cas" : "");
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Reply r && toString().equals(r.toString());
        }

        @Override
        public int hashCode() {
            return toString().hashCode();
        }
    }

    /** Reads replies until one with {@code lastOpaque} arrives. */
    static List<Reply> readUntilOpaque(InputStream in, int lastOpaque) throws IOException {
        List<Reply> replies = new ArrayList<>();
        while (true) {
            Reply reply = read(in);
            replies.add(reply);
            if (reply.opaque() == lastOpaque) {
                return replies;
            }
        }
    }

    static Reply read(InputStream in) throws IOException {
        byte[] header = in.readNBytes(24);
        if (header.length < 24) {
            throw new IOException("connection closed mid-header");
        }
        ByteBuffer h = ByteBuffer.wrap(header);
        if (h.get(0) != (byte) 0x81) {
            throw new IOException("bad response magic " + h.get(0));
        }
        int keyLength = h.getShort(2) & 0xffff;
        int extrasLength = h.get(4) & 0xff;
        int bodyLength = h.getInt(8);
        byte[] body = in.readNBytes(bodyLength);
        ByteArrayOutputStream value = new ByteArrayOutputStream();
        value.write(body, extrasLength + keyLength, bodyLength - extrasLength - keyLength);
        byte[] extras = new byte[extrasLength];
        System.arraycopy(body, 0, extras, 0, extrasLength);
        return new Reply(h.get(1) & 0xff, h.getShort(6) & 0xffff, h.getInt(12), h.getLong(16),
                new String(body, extrasLength, keyLength, StandardCharsets.ISO_8859_1), extras,
                value.toString(StandardCharsets.ISO_8859_1));
    }
}
