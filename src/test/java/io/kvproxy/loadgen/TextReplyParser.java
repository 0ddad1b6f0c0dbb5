package io.kvproxy.loadgen;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Frames the replies of a memcached text protocol connection, resuming wherever the bytes ran out: a
 * retrieval (any number of {@code VALUE} blocks, then {@code END}), a one-line storage reply
 * ({@code STORED}, {@code NOT_STORED}, {@code EXISTS}, {@code NOT_FOUND}), or an error line
 * ({@code ERROR}, {@code CLIENT_ERROR ...}, {@code SERVER_ERROR ...}), which ends the reply it stands for.
 * Values are skipped, not kept: only their count is reported. One parser per connection, used by the
 * thread that reads it.
 *
 * <p>States: {@code LINE} (collecting a line into {@link #line}) → on a {@code VALUE} line {@code DATA}
 * (skipping {@link #dataRemaining} bytes: the value and its CRLF) → {@code LINE} again.
 */
final class TextReplyParser {

    /** Told of each reply as its last byte arrives. */
    interface Listener {
        void onReply(int hits, boolean error);
    }

    private enum State { LINE, DATA }

    /** Longer than any reply line of the protocol (a VALUE line with a 250-byte key and a CAS). */
    private static final int MAX_LINE = 1024;

    private final byte[] line = new byte[MAX_LINE];
    private int lineLength;
    private State state = State.LINE;
    private long dataRemaining;
    private int hits;

    /** Consumes every byte {@code in} has left, telling {@code listener} of each reply completed. */
    void parse(ByteBuffer in, Listener listener) {
        while (in.hasRemaining()) {
            if (state == State.DATA) {
                int skip = (int) Math.min(dataRemaining, in.remaining());
                in.position(in.position() + skip);
                dataRemaining -= skip;
                if (dataRemaining == 0) {
                    state = State.LINE;
                }
                continue;
            }
            byte b = in.get();
            if (b != '\n') {
                if (lineLength == MAX_LINE) {
                    throw new IllegalStateException("reply line longer than " + MAX_LINE + " bytes: " + text(80) + "...");
                }
                line[lineLength++] = b;
                continue;
            }
            int end = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
            lineLength = 0;
            onLine(end, listener);
        }
    }

    private void onLine(int end, Listener listener) {
        if (startsWith("VALUE ", end)) {
            dataRemaining = valueLength(end) + 2;
            state = State.DATA;
            hits++;
        } else if (is("END", end)) {
            complete(listener, false);
        } else if (is("ERROR", end) || startsWith("CLIENT_ERROR", end) || startsWith("SERVER_ERROR", end)) {
            complete(listener, true);
        } else if (is("STORED", end) || is("NOT_STORED", end) || is("EXISTS", end) || is("NOT_FOUND", end)) {
            complete(listener, false);
        } else {
            throw new IllegalStateException("not a memcached text reply: \"" + text(end) + "\"");
        }
    }

    private void complete(Listener listener, boolean error) {
        int replyHits = hits;
        hits = 0;
        listener.onReply(replyHits, error);
    }

    /** The {@code <bytes>} of {@code VALUE <key> <flags> <bytes> [<cas>]}. */
    private long valueLength(int end) {
        int field = 0;
        int i = 0;
        while (i < end && field < 3) {
            if (line[i++] == ' ') {
                field++;
            }
        }
        long length = 0;
        int digits = 0;
        for (; i < end && line[i] != ' '; i++, digits++) {
            int digit = line[i] - '0';
            if (digit < 0 || digit > 9 || digits == 18) {
                throw new IllegalStateException("bad length in \"" + text(end) + "\"");
            }
            length = length * 10 + digit;
        }
        if (digits == 0) {
            throw new IllegalStateException("no length in \"" + text(end) + "\"");
        }
        return length;
    }

    private boolean is(String word, int end) {
        return end == word.length() && startsWith(word, end);
    }

    private boolean startsWith(String prefix, int end) {
        if (end < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (line[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The first {@code length} bytes of the line, for a failure's message. */
    private String text(int length) {
        return new String(line, 0, length, StandardCharsets.US_ASCII);
    }
}
