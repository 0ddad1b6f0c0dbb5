package io.kvproxy.redis.resp;

import io.kvproxy.spi.Buffer;

/**
 * Writes RESP2 without allocating: requests to backends (an inline request re-encoded, the per-server
 * part of a split MGET, the AUTH and SELECT of a connection's handshake) and the frames of replies.
 */
public final class RespWriter {

    private static final byte[] CRLF = {'\r', '\n'};

    private RespWriter() {
    }

    /** {@code *count\r\n}: an array (of a request's arguments, or of a reply's values) follows. */
    public static void writeArrayHeader(Buffer out, long count) {
        out.put((byte) '*').putDecimal(count).put(CRLF);
    }

    /** A bulk string copied from {@code length} bytes of {@code source} at its absolute {@code index}. */
    public static void writeBulk(Buffer out, Buffer source, int index, int length) {
        out.ensureWritable(length + 16);
        out.put((byte) '$').putDecimal(length).put(CRLF).put(source, index, length).put(CRLF);
    }

    /** A bulk string of {@code bytes} (a command name, a password). */
    public static void writeBulk(Buffer out, byte[] bytes) {
        out.put((byte) '$').putDecimal(bytes.length).put(CRLF).put(bytes).put(CRLF);
    }

    /** Argument {@code index} of {@code request} (parsed from {@code in}) as a bulk string. */
    public static void writeArgument(Buffer out, Buffer in, RedisRequest request, int index) {
        writeBulk(out, in, request.argIndex(in, index), request.argLength(index));
    }

    /**
     * The whole request as RESP: its raw bytes when it came as RESP (forwarded unchanged, as
     * redis-server reads them), re-encoded when it came inline.
     */
    public static void writeCommand(Buffer out, Buffer in, RedisRequest request) {
        if (!request.isInline()) {
            out.put(in, in.readIndex(), request.length());
            return;
        }
        writeArrayHeader(out, request.argCount());
        for (int i = 0; i < request.argCount(); i++) {
            writeArgument(out, in, request, i);
        }
    }

    /** {@code :value\r\n}. */
    public static void writeInteger(Buffer out, long value) {
        out.put((byte) ':');
        putSigned(out, value);
        out.put(CRLF);
    }

    /** {@code value} in decimal as a bulk string: a number argument the proxy makes (an absolute expiry). */
    public static void writeBulkInteger(Buffer out, long value) {
        int digits = 1;
        for (long rest = Long.divideUnsigned(magnitude(value), 10); rest != 0; rest = Long.divideUnsigned(rest, 10)) {
            digits++;
        }
        out.put((byte) '$').putDecimal(value < 0 ? digits + 1 : digits).put(CRLF);
        putSigned(out, value);
        out.put(CRLF);
    }

    private static void putSigned(Buffer out, long value) {
        if (value < 0) {
            out.put((byte) '-');
        }
        out.putDecimal(magnitude(value));
    }

    /** The absolute value as an unsigned one: that of {@code Long.MIN_VALUE} is 2^63, which is itself. */
    private static long magnitude(long value) {
        return value < 0 ? -value : value;
    }

    /** A simple string or error line: {@code line} (with its {@code +} or {@code -}) and a CRLF. */
    public static void writeLine(Buffer out, String line) {
        out.putAscii(line).put(CRLF);
    }
}
