package io.kvproxy.redis.resp;

import io.kvproxy.redis.resp.RedisRequest.Outcome;
import io.kvproxy.spi.Buffer;

/**
 * Parses Redis requests out of a connection's input buffer, resuming where the bytes ran out: RESP arrays
 * of bulk strings and inline (telnet) lines, told apart by the first byte as redis-server does. It reads
 * exactly as redis-server 7 reads ({@code processMultibulkBuffer}, {@code processInlineBuffer},
 * {@code sdssplitargs}) and answers bad input with its words, so that a request it passes on is one a
 * backend reads the same way, byte for byte: a count or length line ends at its {@code \r} and the byte
 * after it is skipped unread, and the two bytes after a bulk string are skipped unread too.
 *
 * <p>Limits: a bulk string of at most 512 MB ({@code proto-max-bulk-len}), an array of at most 2^31 - 1
 * elements, a count line or an inline line of at most 64 KB; until the client has authenticated (see
 * {@link #authenticationRequired}) 10 elements and 16 KB a string, as redis-server has it. Past those:
 * redis-server's {@code -ERR Protocol error: ...}, then close. A request must also fit in the buffer (its
 * maximum is max_packet and some): a larger one is refused with {@link #TOO_LARGE} and its remaining
 * bytes are read and dropped here, so the connection goes on.
 *
 * <p>States: START (before a request's first byte), INLINE (looking for the end of an inline line), COUNT
 * (looking for the end of the {@code *N} line), ARG_HEADER (the {@code $len} line of the next argument),
 * ARG_DATA (waiting for an argument's bytes), DISCARD_HEADER and DISCARD_DATA (the same two, for a
 * refused request whose bytes are dropped as they come). One parser per connection; not thread-safe.
 */
public final class RedisRequestParser {

    static final long MAX_BULK_LENGTH = 512L * 1024 * 1024;
    static final long MAX_MULTIBULK_LENGTH = Integer.MAX_VALUE;
    static final int MAX_INLINE = 64 * 1024;
    static final int UNAUTHENTICATED_MULTIBULK = 10;
    static final int UNAUTHENTICATED_BULK = 16 * 1024;

    static final String INVALID_MULTIBULK = "-ERR Protocol error: invalid multibulk length";
    static final String INVALID_BULK = "-ERR Protocol error: invalid bulk length";
    static final String BIG_INLINE = "-ERR Protocol error: too big inline request";
    static final String BIG_COUNT = "-ERR Protocol error: too big mbulk count string";
    static final String BIG_BULK_COUNT = "-ERR Protocol error: too big bulk count string";
    static final String UNBALANCED = "-ERR Protocol error: unbalanced quotes in request";
    static final String UNAUTHENTICATED_COUNT = "-ERR Protocol error: unauthenticated multibulk length";
    static final String UNAUTHENTICATED_LENGTH = "-ERR Protocol error: unauthenticated bulk length";
    /** A request larger than the connection's buffer: refused, its bytes dropped, the connection kept. */
    public static final String TOO_LARGE = "-ERR request larger than max_packet";

    /** {@code expected '$', got '%c'} for every byte, made once: errors must not allocate either. */
    private static final String[] EXPECTED_DOLLAR = new String[256];

    static {
        for (int b = 0; b < 256; b++) {
            // redis-server turns CR and LF into spaces so that an error stays one line; a NUL ends its C string.
            String got = b == 0 ? "" : String.valueOf(b == '\r' || b == '\n' ? ' ' : (char) b);
            EXPECTED_DOLLAR[b] = "-ERR Protocol error: expected '$', got '" + got + (b == 0 ? "" : "'");
        }
    }

    private enum State { START, INLINE, COUNT, ARG_HEADER, ARG_DATA, DISCARD_HEADER, DISCARD_DATA }

    private State state = State.START;
    /** Where the line being looked at starts, from the read index. */
    private int position;
    /** Bytes of that line already searched for its end. */
    private int scanned;
    /** Arguments still to come of the array being read (or dropped). */
    private long argsRemaining;
    /** Length of the argument whose bytes are awaited (or bytes still to drop, in DISCARD_DATA). */
    private long bulkLength;
    private boolean authenticationRequired;
    /** Counts and lengths, read as redis-server reads them. */
    private final RedisInteger number = new RedisInteger();

    /**
     * Until the client has authenticated, arrays over 10 elements and strings over 16 KB are protocol
     * errors, so that a client without the password cannot make the proxy buffer much (redis-server's rule).
     */
    public void authenticationRequired(boolean required) {
        this.authenticationRequired = required;
    }

    /**
     * Looks for the next request at {@code in}'s read index. After a REQUEST or an ERROR the caller
     * consumes {@code request.length()} bytes before calling again; empty requests (an empty line, a
     * {@code *0} or {@code *-1} array), which redis-server ignores, and the bytes of a refused request are
     * consumed here.
     */
    public Outcome parse(Buffer in, RedisRequest request) {
        while (true) {
            Outcome outcome = switch (state) {
                case START -> start(in, request);
                case INLINE -> inline(in, request);
                case COUNT -> count(in, request);
                case ARG_HEADER, DISCARD_HEADER -> argHeader(in, request);
                case ARG_DATA -> argData(in, request);
                case DISCARD_DATA -> discardData(in);
            };
            if (outcome != null) {
                return outcome;
            }
        }
    }

    /** Null from a state step means: go on in the new state. */
    private Outcome start(Buffer in, RedisRequest request) {
        if (in.isEmpty()) {
            return Outcome.NEED_MORE;
        }
        request.reset();
        position = 0;
        scanned = 0;
        state = in.get(in.readIndex()) == '*' ? State.COUNT : State.INLINE;
        return null;
    }

    private Outcome inline(Buffer in, RedisRequest request) {
        int base = in.readIndex();
        int readable = in.readable();
        int newline = in.indexOf((byte) '\n', base + scanned, base + readable);
        if (newline < 0) {
            scanned = readable;
            // redis-server gives up on a line once more than 64 KB of it has arrived without its end, which
            // it sees between its 16 KB reads (a line a little over 64 KB that arrives at once may pass
            // there); here it is judged on the line itself, so that how the bytes arrive changes nothing.
            return readable > Math.min(MAX_INLINE, in.maxCapacity() - 1) ? protocolError(request, BIG_INLINE) : Outcome.NEED_MORE;
        }
        int lineLength = newline - base;
        if (lineLength > MAX_INLINE) {
            return protocolError(request, BIG_INLINE);
        }
        int end = lineLength > 0 && in.get(newline - 1) == '\r' ? newline - 1 : newline;
        if (!InlineSplitter.split(in, base, end, request)) {
            return protocolError(request, UNBALANCED);
        }
        state = State.START;
        if (request.argCount() == 0) {
            in.skip(lineLength + 1);
            return null;
        }
        request.complete(lineLength + 1, true);
        return Outcome.REQUEST;
    }

    private Outcome count(Buffer in, RedisRequest request) {
        int lineEnd = lineEnd(in);
        if (lineEnd == -1) {
            return Outcome.NEED_MORE;
        }
        if (lineEnd == -2) {
            return protocolError(request, BIG_COUNT);
        }
        int base = in.readIndex();
        if (!number.parse(in, base + 1, lineEnd - 1) || number.value() > MAX_MULTIBULK_LENGTH) {
            return protocolError(request, INVALID_MULTIBULK);
        }
        if (authenticationRequired && number.value() > UNAUTHENTICATED_MULTIBULK) {
            return protocolError(request, UNAUTHENTICATED_COUNT);
        }
        position = lineEnd + 2;
        scanned = 0;
        if (number.value() <= 0) {
            in.skip(position);
            state = State.START;
            return null;
        }
        argsRemaining = number.value();
        state = State.ARG_HEADER;
        return null;
    }

    private Outcome argHeader(Buffer in, RedisRequest request) {
        boolean discarding = state == State.DISCARD_HEADER;
        int lineEnd = lineEnd(in);
        if (lineEnd == -1) {
            if (!discarding && in.readable() >= in.maxCapacity()) {
                // The arguments so far fill the buffer: this one's length line cannot even be read.
                request.fail(TOO_LARGE, position, false);
                position = 0;
                scanned = 0;
                state = State.DISCARD_HEADER;
                return Outcome.ERROR;
            }
            return Outcome.NEED_MORE;
        }
        if (lineEnd == -2) {
            return protocolError(request, BIG_BULK_COUNT);
        }
        int base = in.readIndex();
        int first = in.get(base + position) & 0xff;
        if (first != '$') {
            return protocolError(request, EXPECTED_DOLLAR[first]);
        }
        if (!number.parse(in, base + position + 1, lineEnd - position - 1) || number.value() < 0 || number.value() > MAX_BULK_LENGTH) {
            return protocolError(request, INVALID_BULK);
        }
        if (authenticationRequired && number.value() > UNAUTHENTICATED_BULK) {
            return protocolError(request, UNAUTHENTICATED_LENGTH);
        }
        bulkLength = number.value();
        position = lineEnd + 2;
        scanned = 0;
        if (discarding) {
            in.skip(position);
            position = 0;
            bulkLength += 2;
            state = State.DISCARD_DATA;
            return null;
        }
        if (position + bulkLength + 2 > in.maxCapacity()) {
            // The request cannot be held whole: refuse it now (the caller consumes what was read of it)
            // and drop the rest as it comes, argument by argument.
            request.fail(TOO_LARGE, position, false);
            position = 0;
            bulkLength += 2;
            state = State.DISCARD_DATA;
            return Outcome.ERROR;
        }
        state = State.ARG_DATA;
        return null;
    }

    private Outcome argData(Buffer in, RedisRequest request) {
        if (in.readable() < position + bulkLength + 2) {
            return Outcome.NEED_MORE;
        }
        request.addArg(position, (int) bulkLength);
        position += (int) bulkLength + 2;
        if (--argsRemaining > 0) {
            state = State.ARG_HEADER;
            return null;
        }
        state = State.START;
        request.complete(position, false);
        return Outcome.REQUEST;
    }

    private Outcome discardData(Buffer in) {
        int skip = (int) Math.min(in.readable(), bulkLength);
        in.skip(skip);
        bulkLength -= skip;
        if (bulkLength > 0) {
            return Outcome.NEED_MORE;
        }
        state = --argsRemaining > 0 ? State.DISCARD_HEADER : State.START;
        return null;
    }

    /**
     * Offset from the read index of the {@code \r} ending the line at {@link #position}, once the byte
     * after it has arrived too (redis-server skips that byte unread); -1 when it has not; -2 when the line
     * is longer than 64 KB, which redis-server refuses.
     */
    private int lineEnd(Buffer in) {
        int base = in.readIndex();
        int readable = in.readable();
        int lineStart = base + position;
        int cr = in.indexOf((byte) '\r', lineStart + scanned, base + readable);
        if (cr < 0) {
            scanned = readable - position;
            return scanned > Math.min(MAX_INLINE, in.maxCapacity() - 1) ? -2 : -1;
        }
        if (cr - lineStart > MAX_INLINE) {
            return -2;
        }
        scanned = cr - lineStart;
        return cr + 1 < base + readable ? cr - base : -1;
    }

    /** A protocol error: redis-server answers it and closes. Nothing more is parsed. */
    private Outcome protocolError(RedisRequest request, String error) {
        request.fail(error, 0, true);
        state = State.START;
        return Outcome.ERROR;
    }
}
