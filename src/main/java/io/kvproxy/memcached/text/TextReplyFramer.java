package io.kvproxy.memcached.text;

import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.MalformedReplyException;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.ReplyFramer;

/**
 * Frames memcached text replies on one backend connection. What a whole reply is depends on the request:
 * a retrieval is answered with {@code VALUE} blocks ended by {@code END} (or one error line), everything
 * else kvproxy forwards with exactly one line. A retrieval's reply is framed one VALUE block at a time,
 * each handed on as a part ({@link #endsReply()} false), then its END: however many values a client
 * asked for, the connection's buffer holds one block, and {@code max_packet} bounds a value, not a reply.
 * A {@code stats} reply, which only the proxy's own sampler asks for, is framed the same way, one
 * {@code STAT} line per part.
 *
 * <p>Resumable: a block whose line has been read but whose data is still arriving is not parsed again.
 */
public final class TextReplyFramer implements ReplyFramer {

    /**
     * Where the framer stands in the reply at the head of the FIFO. Legal moves: FIRST_LINE → IN_VALUES
     * (a VALUE block was framed) → IN_VALUES; either → FIRST_LINE when the reply ends (END, an error line,
     * a one-line reply) or the connection is reset. An error line is a reply only as the first line.
     */
    enum State {
        FIRST_LINE, IN_VALUES
    }

    private static final int MAX_REPLY_LINE = 8192;
    private static final byte[] END = {'E', 'N', 'D'};
    private static final byte[] VALUE = {'V', 'A', 'L', 'U', 'E', ' '};
    private static final byte[] STAT = {'S', 'T', 'A', 'T', ' '};
    private static final byte[] META_VALUE = {'V', 'A', ' '};

    private State state = State.FIRST_LINE;
    /** Length of the VALUE block at the read index, line and data, once its line is parsed; 0 before. */
    private long blockLength;
    /** Length of the meta VA reply at the read index, line and data block, once its line is parsed; 0 before. */
    private long metaLength;
    private boolean endsReply = true;

    /** {@link #expectation} of a request answered with VALUE blocks and END. */
    private static final int VALUES = 1;
    /** {@link #expectation} of a request answered with one line. */
    private static final int ONE_LINE = 0;
    /** {@link #expectation} of a stats request: STAT lines (or VALUE blocks) and END. */
    private static final int STAT_LINES = 2;

    @Override
    public int expectation(PendingReply request) {
        if (!(request instanceof TextReplyReceiver receiver)) {
            throw new IllegalStateException("text framer given " + request.getClass().getName());
        }
        if (receiver.expectsStatLines()) {
            return STAT_LINES;
        }
        return receiver.expectsValues() ? VALUES : ONE_LINE;
    }

    @Override
    public int frame(Buffer in, int expectation) throws MalformedReplyException {
        int base = in.readIndex();
        // A VALUE reply where one line is expected is framed as the retrieval it is (VALUE blocks, then END),
        // never line by line into the replies of the requests behind it: a connection must never be read
        // out of step, even by a request whose expectation was taken wrong.
        if (expectation == ONE_LINE && state == State.FIRST_LINE && blockLength == 0 && !in.regionEquals(base, VALUE)) {
            return frameOneReply(in, base);
        }
        if (blockLength == 0) {
            int lineEnd = lineEnd(in, base);
            if (lineEnd < 0) {
                return 0;
            }
            int lineLength = lineEnd - base - (in.get(lineEnd - 2) == '\r' ? 2 : 1);
            if (lineLength == END.length && in.regionEquals(base, END)) {
                return replyEnds(lineEnd - base);
            }
            if (expectation == STAT_LINES && in.regionEquals(base, STAT)) {
                // A stats reply (the proxy's own sample of a server): each STAT line is a part.
                state = State.IN_VALUES;
                endsReply = false;
                return lineEnd - base;
            }
            if (in.regionEquals(base, VALUE)) {
                long dataLength = valueLength(in, base, base + lineLength);
                long length = lineEnd - base + dataLength + 2;
                if (length > in.maxCapacity()) {
                    throw new MalformedReplyException("VALUE of " + dataLength + " bytes is larger than max_packet");
                }
                blockLength = length;
            } else if (state == State.FIRST_LINE && isErrorLine(in, base, lineLength)) {
                return replyEnds(lineEnd - base);
            } else {
                throw new MalformedReplyException("expected VALUE or END, got \"" + in.toString(base, Math.min(lineLength, 40)) + "\"");
            }
        }
        if (in.readable() < blockLength) {
            return 0;
        }
        int length = (int) blockLength;
        if (in.get(base + length - 2) != '\r' || in.get(base + length - 1) != '\n') {
            throw new MalformedReplyException("VALUE block not ended by CRLF");
        }
        blockLength = 0;
        state = State.IN_VALUES;
        endsReply = false;
        return length;
    }

    /**
     * A reply that is not a retrieval's, whole: one line, and after a meta {@code VA <size>} line its data
     * block and CRLF (no other one-line reply starts with {@code VA }).
     */
    private int frameOneReply(Buffer in, int base) throws MalformedReplyException {
        if (metaLength == 0) {
            int lineEnd = lineEnd(in, base);
            if (lineEnd < 0) {
                return 0;
            }
            if (!in.regionEquals(base, META_VALUE)) {
                return replyEnds(lineEnd - base);
            }
            int lineLength = lineEnd - base - (in.get(lineEnd - 2) == '\r' ? 2 : 1);
            long length = lineEnd - base + tokenNumber(in, base, base + lineLength, 1) + 2;
            if (length > in.maxCapacity()) {
                throw new MalformedReplyException("VA of " + length + " bytes is larger than max_packet");
            }
            metaLength = length;
        }
        if (in.readable() < metaLength) {
            return 0;
        }
        int length = (int) metaLength;
        metaLength = 0;
        if (in.get(base + length - 2) != '\r' || in.get(base + length - 1) != '\n') {
            throw new MalformedReplyException("VA block not ended by CRLF");
        }
        return replyEnds(length);
    }

    @Override
    public boolean endsReply() {
        return endsReply;
    }

    @Override
    public void reset() {
        state = State.FIRST_LINE;
        blockLength = 0;
        metaLength = 0;
        endsReply = true;
    }

    private int replyEnds(int length) {
        state = State.FIRST_LINE;
        endsReply = true;
        return length;
    }

    /** Index just past the {@code \n} ending the line at {@code lineStart}, or -1 when it has not arrived. */
    private static int lineEnd(Buffer in, int lineStart) throws MalformedReplyException {
        int end = in.writeIndex();
        int newline = in.indexOf((byte) '\n', lineStart, Math.min(end, lineStart + MAX_REPLY_LINE));
        if (newline < 0) {
            if (end - lineStart >= MAX_REPLY_LINE) {
                throw new MalformedReplyException("reply line longer than " + MAX_REPLY_LINE + " bytes");
            }
            return -1;
        }
        return newline + 1;
    }

    /** The bytes field (fourth token) of {@code VALUE <key> <flags> <bytes> [<cas>]}. */
    private static long valueLength(Buffer in, int start, int end) throws MalformedReplyException {
        return tokenNumber(in, start, end, 3);
    }

    /** The decimal number in token {@code wanted} (0: the first) of the line {@code [start, end)}. */
    private static long tokenNumber(Buffer in, int start, int end, int wanted) throws MalformedReplyException {
        int token = 0;
        int i = start;
        while (i < end) {
            while (i < end && in.get(i) == ' ') {
                i++;
            }
            if (i == end) {
                break;
            }
            if (token == wanted) {
                long value = 0;
                int digits = 0;
                while (i < end && in.get(i) != ' ') {
                    int digit = in.get(i) - '0';
                    if (digit < 0 || digit > 9 || ++digits > 10) {
                        throw new MalformedReplyException("bad VALUE length");
                    }
                    value = value * 10 + digit;
                    i++;
                }
                return value;
            }
            while (i < end && in.get(i) != ' ') {
                i++;
            }
            token++;
        }
        throw new MalformedReplyException("VALUE line without a length");
    }

    private static boolean isErrorLine(Buffer in, int start, int length) {
        return startsWith(in, start, length, "ERROR") || startsWith(in, start, length, "CLIENT_ERROR")
                || startsWith(in, start, length, "SERVER_ERROR");
    }

    private static boolean startsWith(Buffer in, int start, int length, String word) {
        if (length < word.length()) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            if (in.get(start + i) != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
