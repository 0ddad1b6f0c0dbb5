package io.kvproxy.memcached.text;

import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.MalformedReplyException;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.ReplyFramer;

/**
 * Frames memcached text replies on one backend connection. What a whole reply is depends on the request:
 * a retrieval is answered with {@code VALUE} blocks ended by {@code END} (or one error line), everything
 * else kvproxy forwards with exactly one line. Scanning resumes where the bytes ran out: {@code scanned}
 * is how far into the reply the complete blocks reach, {@code values} how many it holds.
 */
public final class TextReplyFramer implements ReplyFramer {

    private static final int MAX_REPLY_LINE = 8192;
    private static final byte[] END = {'E', 'N', 'D'};
    private static final byte[] VALUE = {'V', 'A', 'L', 'U', 'E', ' '};

    private int scanned;
    private int values;

    @Override
    public int frame(Buffer in, PendingReply expected) throws MalformedReplyException {
        if (!(expected instanceof TextReplyReceiver receiver)) {
            throw new IllegalStateException("text framer given " + expected.getClass().getName());
        }
        int base = in.readIndex();
        if (!receiver.expectsValues()) {
            int lineEnd = lineEnd(in, base, base);
            return lineEnd < 0 ? 0 : lineEnd - base;
        }
        while (true) {
            int lineStart = base + scanned;
            int lineEnd = lineEnd(in, base, lineStart);
            if (lineEnd < 0) {
                return 0;
            }
            int lineLength = lineEnd - lineStart - (in.get(lineEnd - 2) == '\r' ? 2 : 1);
            if (lineLength == END.length && in.regionEquals(lineStart, END)) {
                int length = lineEnd - base;
                receiver.onValueCount(values);
                scanned = 0;
                values = 0;
                return length;
            }
            if (in.regionEquals(lineStart, VALUE)) {
                long dataLength = valueLength(in, lineStart, lineStart + lineLength);
                long blockEnd = lineEnd + dataLength + 2;
                if (blockEnd - base > in.maxCapacity()) {
                    throw new MalformedReplyException("VALUE of " + dataLength + " bytes is larger than max_packet");
                }
                if (blockEnd > in.writeIndex()) {
                    return 0;
                }
                if (in.get((int) blockEnd - 2) != '\r' || in.get((int) blockEnd - 1) != '\n') {
                    throw new MalformedReplyException("VALUE block not ended by CRLF");
                }
                scanned = (int) (blockEnd - base);
                values++;
                continue;
            }
            if (scanned == 0 && isErrorLine(in, lineStart, lineLength)) {
                return lineEnd - base;
            }
            throw new MalformedReplyException("expected VALUE or END, got \"" + in.toString(lineStart, Math.min(lineLength, 40)) + "\"");
        }
    }

    @Override
    public void reset() {
        scanned = 0;
        values = 0;
    }

    /** Index just past the {@code \n} ending the line at {@code lineStart}, or -1 when it has not arrived. */
    private static int lineEnd(Buffer in, int base, int lineStart) throws MalformedReplyException {
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
        int token = 0;
        int i = start;
        while (i < end) {
            while (i < end && in.get(i) == ' ') {
                i++;
            }
            if (i == end) {
                break;
            }
            if (token == 3) {
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
