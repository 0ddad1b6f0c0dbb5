package io.kvproxy.redis.resp;

import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.MalformedReplyException;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.ReplyFramer;

/**
 * Frames RESP2 replies on one backend connection: simple strings, errors, integers, bulk strings (null
 * ones too), and arrays of any of them, nested to any depth, null arrays included. A reply ends when
 * every value its arrays announced has come: the framer keeps one count of values still owed (an array
 * header of N owes N more), so bytes of one reply never count toward the next, however values are cut.
 *
 * <p>A reply whose values are not all there yet is handed on in parts ({@link #endsReply()} false), each
 * part whole values only, so the connection's buffer never has to hold more than one value: max_packet
 * bounds a bulk string, not a reply. A receiver that places values one by one (a split MGET's) gets one
 * value per frame ({@link RespReplyReceiver#framesValues()}); any other gets as many as are whole.
 *
 * <p>Limits as redis-server's: a bulk string of at most 512 MB (and the buffer's maximum), an array of at
 * most 2^31 - 1 values, a line of at most 64 KB. Anything else is a {@link MalformedReplyException}: the
 * connection is out of step and must be reset.
 *
 * <p>Resumable without rescanning state beyond one count: a value whose bytes are still arriving is
 * parsed again from its first byte on the next call (its header line is a few bytes). One instance per
 * backend connection; not thread-safe.
 */
public final class RespReplyFramer implements ReplyFramer {

    /** {@link #expectation} of a receiver that takes whole values in any number per frame. */
    static final int ANY_VALUES = 0;
    /** {@link #expectation} of a receiver that takes one value per frame. */
    static final int ONE_VALUE = 1;

    static final int MAX_LINE = 64 * 1024;
    private static final byte[][] ERROR_PREFIXES_OF_FAILED_SERVERS = {
        "-LOADING ".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        "-BUSY ".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        "-OOM ".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
    };
    static final long MAX_BULK_LENGTH = 512L * 1024 * 1024;
    static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE;

    /** Values still owed by the reply at the head of the FIFO; 0 between replies. */
    private long owed;
    private boolean endsReply = true;
    /** Set by {@link #valueLength}: the count of the array header it just read, else 0. */
    private long arrayCount;
    /** Set by {@link #lineEnd}: the offset of the line's CR from the read index. */
    private int lineEndOffset;

    @Override
    public int expectation(PendingReply request) {
        if (!(request instanceof RespReplyReceiver receiver)) {
            throw new IllegalStateException("RESP framer given " + request.getClass().getName());
        }
        return receiver.framesValues() ? ONE_VALUE : ANY_VALUES;
    }

    @Override
    public int frame(Buffer in, int expectation) throws MalformedReplyException {
        long stillOwed = owed == 0 ? 1 : owed;
        int length = 0;
        while (stillOwed > 0) {
            int value = valueLength(in, length);
            if (value == 0) {
                break;
            }
            length += value;
            stillOwed += arrayCount - 1;
            if (expectation == ONE_VALUE) {
                break;
            }
        }
        if (length == 0) {
            return 0;
        }
        owed = stillOwed;
        endsReply = stillOwed == 0;
        return length;
    }

    @Override
    public boolean endsReply() {
        return endsReply;
    }

    /**
     * {@code -LOADING} (it is loading its data set), {@code -BUSY} (a script keeps it busy), {@code -OOM}
     * (out of memory): the server cannot serve now, whatever the request was.
     */
    @Override
    public boolean isServerFailure(Buffer in, int offset, int length) {
        return isServerFailureReply(in, offset, length);
    }

    /** {@link #isServerFailure}, which needs no state of a connection. */
    public static boolean isServerFailureReply(Buffer in, int offset, int length) {
        for (byte[] prefix : ERROR_PREFIXES_OF_FAILED_SERVERS) {
            if (length >= prefix.length && in.regionEquals(offset, prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void reset() {
        owed = 0;
        endsReply = true;
        arrayCount = 0;
    }

    /**
     * Length of the whole value at {@code offset} from the read index (an array: its header line only),
     * or 0 when it has not all arrived. Sets {@link #arrayCount}.
     */
    private int valueLength(Buffer in, int offset) throws MalformedReplyException {
        arrayCount = 0;
        if (in.readable() <= offset) {
            return 0;
        }
        if (!lineEnd(in, offset)) {
            return 0;
        }
        int start = in.readIndex() + offset;
        int lineLength = lineEndOffset - offset + 2;
        byte type = in.get(start);
        switch (type) {
            case '+', '-' -> {
                return lineLength;
            }
            case ':' -> {
                number(in, start + 1, lineLength - 3, "integer");
                return lineLength;
            }
            case '$' -> {
                long bulk = number(in, start + 1, lineLength - 3, "bulk length");
                if (bulk == -1) {
                    return lineLength;
                }
                if (bulk < -1 || bulk > MAX_BULK_LENGTH) {
                    throw new MalformedReplyException("bad bulk length " + bulk);
                }
                long total = lineLength + bulk + 2;
                if (total > in.maxCapacity()) {
                    throw new MalformedReplyException("bulk string of " + bulk + " bytes is larger than max_packet");
                }
                if (in.readable() - offset < total) {
                    return 0;
                }
                int end = start + (int) total;
                if (in.get(end - 2) != '\r' || in.get(end - 1) != '\n') {
                    throw new MalformedReplyException("bulk string not ended by CRLF");
                }
                return (int) total;
            }
            case '*' -> {
                long count = number(in, start + 1, lineLength - 3, "array length");
                if (count < -1 || count > MAX_ARRAY_LENGTH) {
                    throw new MalformedReplyException("bad array length " + count);
                }
                arrayCount = Math.max(count, 0);
                return lineLength;
            }
            default -> throw new MalformedReplyException("not a RESP2 reply: starts with byte " + (type & 0xff));
        }
    }

    /**
     * Whether the line at {@code offset} has arrived whole, ended by CRLF; sets {@link #lineEndOffset}.
     *
     * @throws MalformedReplyException for a line over {@link #MAX_LINE} or a bare LF
     */
    private boolean lineEnd(Buffer in, int offset) throws MalformedReplyException {
        int base = in.readIndex();
        int from = base + offset;
        int to = base + in.readable();
        int newline = in.indexOf((byte) '\n', from, Math.min(to, from + MAX_LINE + 2));
        if (newline < 0) {
            if (to - from > MAX_LINE + 1) {
                throw new MalformedReplyException("reply line longer than " + MAX_LINE + " bytes");
            }
            return false;
        }
        if (newline == from || in.get(newline - 1) != '\r') {
            throw new MalformedReplyException("reply line not ended by CRLF");
        }
        lineEndOffset = newline - 1 - base;
        return true;
    }

    /** A signed decimal number filling {@code [start, start + length)}. */
    private static long number(Buffer in, int start, int length, String what) throws MalformedReplyException {
        boolean negative = length > 0 && in.get(start) == '-';
        int i = negative ? 1 : 0;
        if (length - i == 0 || length - i > 19) {
            throw new MalformedReplyException("bad " + what);
        }
        long value = 0;
        for (; i < length; i++) {
            int digit = in.get(start + i) - '0';
            if (digit < 0 || digit > 9) {
                throw new MalformedReplyException("bad " + what);
            }
            value = value * 10 + digit;
        }
        if (value < 0 && !(negative && value == Long.MIN_VALUE)) {
            throw new MalformedReplyException("bad " + what);
        }
        return negative ? -value : value;
    }
}
