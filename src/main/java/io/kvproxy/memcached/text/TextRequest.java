package io.kvproxy.memcached.text;

import java.util.Arrays;

/**
 * One parsed text request, reused for every request of a connection. Offsets are relative to the input
 * buffer's read index at the time of parsing and valid until the request is consumed.
 */
final class TextRequest {

    /** What the parser found. */
    enum Outcome {
        /** A whole, valid request: dispatch it, then consume it. */
        REQUEST,
        /**
         * Bad input: send {@link #error} (unless {@link #noreply}: memcached had seen it), consume
         * {@link #length} bytes, unlink the key if {@link #unlinkKey}, keep the connection unless
         * {@link #closeAfterError}.
         */
        ERROR,
        /** An HTTP request line: answer nothing, read nothing more, close once the replies already due are out. */
        HTTP,
        /** Not a whole request yet. */
        NEED_MORE
    }

    TextCommand command;
    /** Tokens of the command line: token 0 is the command word. */
    int tokenCount;
    int[] tokenStart = new int[8];
    int[] tokenLength = new int[8];
    /** The command line without its line ending. */
    int lineLength;
    /** The whole request: line, line ending, data block and its CRLF. */
    int length;
    /** Data block (storage commands): start and length, without the trailing CRLF. */
    int dataStart;
    int dataLength;
    boolean noreply;
    /** For retrieval commands: index of the first key token (1, or 2 after gat's exptime). */
    int firstKey;
    /** The error reply (without CRLF) for {@link Outcome#ERROR}. */
    String error;
    boolean closeAfterError;
    /** A set refused as too large: memcached drops the key's old value too. */
    boolean unlinkKey;
    /** The flags of a meta command. */
    final MetaRequest meta = new MetaRequest();

    void reset() {
        command = null;
        tokenCount = 0;
        lineLength = 0;
        length = 0;
        dataStart = 0;
        dataLength = 0;
        noreply = false;
        firstKey = 0;
        error = null;
        closeAfterError = false;
        unlinkKey = false;
        meta.reset();
    }

    void addToken(int start, int length) {
        if (tokenCount == tokenStart.length) {
            tokenStart = Arrays.copyOf(tokenStart, tokenCount * 2);
            tokenLength = Arrays.copyOf(tokenLength, tokenCount * 2);
        }
        tokenStart[tokenCount] = start;
        tokenLength[tokenCount] = length;
        tokenCount++;
    }

    int keyCount() {
        return tokenCount - firstKey;
    }
}
