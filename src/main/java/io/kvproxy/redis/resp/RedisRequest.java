package io.kvproxy.redis.resp;

import io.kvproxy.spi.Buffer;
import java.util.Arrays;

/**
 * One parsed Redis request, reused for every request of a connection: where its arguments lie in the
 * connection's input buffer. Offsets are relative to the buffer's read index at the time of parsing and
 * valid until the request is consumed ({@link #length()} bytes); nothing is copied.
 *
 * <p>A request sent as RESP ({@code *N} then N bulk strings) may be forwarded as its raw bytes. An
 * inline one ({@link #isInline()}) may not: its quoted arguments were unescaped in place, so its bytes
 * are no longer what the client sent; write it with {@link RespWriter#writeCommand}.
 */
public final class RedisRequest {

    /** What the parser found. */
    public enum Outcome {
        /** A whole request with at least one argument: dispatch it, then consume {@link #length()} bytes. */
        REQUEST,
        /**
         * Bad input: send {@link #error()} and a CRLF, consume {@link #length()} bytes, then close the
         * connection once the output is written if {@link #closeAfterError()} (redis-server's protocol
         * errors), else go on parsing.
         */
        ERROR,
        /** Not a whole request yet: call again when more bytes have arrived. */
        NEED_MORE
    }

    private int argCount;
    private int[] argStart = new int[8];
    private int[] argLength = new int[8];
    private int length;
    private boolean inline;
    private String error;
    private boolean closeAfterError;

    /** Arguments, the command name included (argument 0). */
    public int argCount() {
        return argCount;
    }

    /** Offset of argument {@code index} from the read index. */
    public int argStart(int index) {
        return argStart[index];
    }

    /** Absolute index in {@code in} of argument {@code index}: where a key is hashed or copied from. */
    public int argIndex(Buffer in, int index) {
        return in.readIndex() + argStart[index];
    }

    public int argLength(int index) {
        return argLength[index];
    }

    /** The whole request's bytes, from the read index: what the caller consumes. */
    public int length() {
        return length;
    }

    /** Parsed from a telnet-style line rather than RESP; its bytes were rewritten (see the class comment). */
    public boolean isInline() {
        return inline;
    }

    /** The error reply, without its CRLF, of an {@link Outcome#ERROR}. */
    public String error() {
        return error;
    }

    public boolean closeAfterError() {
        return closeAfterError;
    }

    /** Whether argument {@code index} equals {@code upperCaseWord}, ignoring ASCII case. */
    public boolean argEqualsIgnoreCase(Buffer in, int index, byte[] upperCaseWord) {
        if (argLength[index] != upperCaseWord.length) {
            return false;
        }
        int start = argIndex(in, index);
        for (int i = 0; i < upperCaseWord.length; i++) {
            int b = in.get(start + i);
            if (b >= 'a' && b <= 'z') {
                b -= 'a' - 'A';
            }
            if (b != upperCaseWord[i]) {
                return false;
            }
        }
        return true;
    }

    void reset() {
        argCount = 0;
        length = 0;
        inline = false;
        error = null;
        closeAfterError = false;
    }

    void addArg(int start, int length) {
        if (argCount == argStart.length) {
            argStart = Arrays.copyOf(argStart, argCount * 2);
            argLength = Arrays.copyOf(argLength, argCount * 2);
        }
        argStart[argCount] = start;
        argLength[argCount] = length;
        argCount++;
    }

    void complete(int length, boolean inline) {
        this.length = length;
        this.inline = inline;
    }

    void fail(String error, int length, boolean close) {
        this.error = error;
        this.length = length;
        this.closeAfterError = close;
    }
}
