package io.kvproxy.memcached.text;

import io.kvproxy.memcached.text.TextRequest.Outcome;
import io.kvproxy.spi.Buffer;

/**
 * Parses memcached text requests out of a connection's input buffer, resuming where the bytes ran out.
 * It validates exactly what memcached 1.6 validates before it would take a data block, and answers bad
 * input with memcached's own words, so that a request reaching a backend is one the backend answers with
 * exactly one reply. Where memcached has already seen a command's {@code noreply} when it finds the
 * error, the error is withheld ({@link TextRequest#noreply} set on an ERROR outcome), so a pipelining
 * noreply client never gets a line it cannot pair with a request.
 *
 * <p>States: LINE (looking for the end of a command line; {@code scanned} bytes already searched), DATA
 * (the line of a storage command is parsed; waiting for its data block), SWALLOW (discarding the data
 * block of a value too large to take). One parser per connection; not thread-safe.
 */
final class TextRequestParser {

    /** The longest command line, other than a retrieval's, before the connection is closed. */
    static final int MAX_LINE = 8192;
    static final int MAX_KEY = 250;
    /** memcached refuses a data block this long or longer as a bad command line: it adds its CRLF to an int. */
    static final long MAX_DATA_LENGTH = Integer.MAX_VALUE - 2;
    /** memcached's tokenizer stops at 24 tokens (the 24th, its terminator): it looks for HTTP in the 23rd word at most. */
    private static final int MAX_TOKENS_SEEN = 23;

    static final String ERROR = "ERROR";
    static final String BAD_FORMAT = "CLIENT_ERROR bad command line format";
    static final String BAD_DATA_CHUNK = "CLIENT_ERROR bad data chunk";
    static final String TOO_LARGE = "SERVER_ERROR object too large for cache";
    static final String LINE_TOO_LONG = "CLIENT_ERROR line too long";
    static final String BAD_DELTA = "CLIENT_ERROR invalid numeric delta argument";
    static final String BAD_EXPTIME = "CLIENT_ERROR invalid exptime argument";
    static final String DELETE_USAGE = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";

    private static final byte[] NOREPLY = {'n', 'o', 'r', 'e', 'p', 'l', 'y'};
    private static final byte[] ZERO = {'0'};
    private static final byte[] HTTP = {'H', 'T', 'T', 'P', '/'};

    private enum State { LINE, DATA, SWALLOW }

    private final int maxPacketBytes;
    private State state = State.LINE;
    private int scanned;
    private long swallowRemaining;
    /** The value of the last successful number parse. */
    private long number;

    TextRequestParser(int maxPacketBytes) {
        this.maxPacketBytes = maxPacketBytes;
    }

    /**
     * Looks for the next request at {@code in}'s read index. The caller consumes {@code request.length}
     * bytes after acting on a REQUEST or an ERROR; swallowed data blocks are consumed here.
     */
    Outcome parse(Buffer in, TextRequest request) {
        if (state == State.SWALLOW) {
            int skip = (int) Math.min(in.readable(), swallowRemaining);
            in.skip(skip);
            swallowRemaining -= skip;
            if (swallowRemaining > 0) {
                return Outcome.NEED_MORE;
            }
            state = State.LINE;
        }
        if (state == State.DATA) {
            return completeData(in, request);
        }
        return parseLine(in, request);
    }

    private Outcome parseLine(Buffer in, TextRequest request) {
        int base = in.readIndex();
        int readable = in.readable();
        int newline = in.indexOf((byte) '\n', base + scanned, base + readable);
        if (newline < 0) {
            scanned = readable;
            if (readable > lineLimit(in, base, readable)) {
                scanned = 0;
                request.reset();
                return fail(request, LINE_TOO_LONG, readable, true);
            }
            return Outcome.NEED_MORE;
        }
        scanned = 0;
        request.reset();
        int lineEnd = newline > base && in.get(newline - 1) == '\r' ? newline - 1 : newline;
        request.lineLength = lineEnd - base;
        request.length = newline + 1 - base;
        if (request.lineLength > lineLimit(in, base, request.lineLength)) {
            return fail(request, LINE_TOO_LONG, request.length, true);
        }
        tokenize(in, base, lineEnd, request);
        if (request.tokenCount == 0) {
            return fail(request, ERROR, request.length, false);
        }
        TextCommand command = TextCommand.lookup(in, base + request.tokenStart[0], request.tokenLength[0]);
        if (command == null) {
            return isHttp(in, base, request) ? Outcome.HTTP : fail(request, ERROR, request.length, false);
        }
        request.command = command;
        return switch (command) {
            case GET, GETS -> retrieval(in, request, 1);
            case GAT, GATS -> gat(in, request);
            case SET, ADD, REPLACE, APPEND, PREPEND, CAS -> storage(in, request);
            case DELETE -> delete(in, request);
            case INCR, DECR -> arithmetic(in, request);
            case TOUCH -> touch(in, request);
            case FLUSH_ALL -> flushAll(in, request);
            case VERBOSITY -> verbosity(in, request);
            case CACHE_MEMLIMIT -> memoryLimit(in, request);
            case MG, MD, MA, ME -> MetaRequestParser.keyed(in, request);
            case MS -> metaStorage(in, request);
            case VERSION, STATS, QUIT, STATUS, MN, UNSUPPORTED -> Outcome.REQUEST;
        };
    }

    /** A get line may carry many keys, up to max_packet; any other line is short. */
    private int lineLimit(Buffer in, int base, int available) {
        int limit = isRetrievalPrefix(in, base, available) ? maxPacketBytes : MAX_LINE;
        return Math.min(limit, in.maxCapacity() - 2);
    }

    private static boolean isRetrievalPrefix(Buffer in, int base, int available) {
        int i = base;
        int end = base + available;
        while (i < end && in.get(i) == ' ') {
            i++;
        }
        return end - i >= 4 && in.get(i) == 'g' && (in.get(i + 1) == 'e' || in.get(i + 1) == 'a') && in.get(i + 2) == 't'
                && (in.get(i + 3) == ' ' || (in.get(i + 3) == 's' && end - i >= 5 && in.get(i + 4) == ' '));
    }

    private static void tokenize(Buffer in, int base, int end, TextRequest request) {
        int i = base;
        while (i < end) {
            while (i < end && in.get(i) == ' ') {
                i++;
            }
            if (i == end) {
                break;
            }
            int start = i;
            while (i < end && in.get(i) != ' ') {
                i++;
            }
            request.addToken(start - base, i - start);
        }
    }

    /**
     * memcached 1.6 hangs up on an unknown command whose last word starts with {@code HTTP/} (a browser
     * or an HTTP client that reached the port): {@code GET / HTTP/1.1}, {@code POST /x HTTP/1.0}. It only
     * looks once its dispatch by first letter has failed: a word starting with g, s, a, c, i, d or t, a
     * two-letter word starting with m, and a one-letter word are answered ERROR instead, whatever follows.
     */
    private static boolean isHttp(Buffer in, int base, TextRequest request) {
        int length = request.tokenLength[0];
        byte first = in.get(base + request.tokenStart[0]);
        if (length < 2 || first == 'g' || first == 's' || first == 'a' || first == 'c' || first == 'i' || first == 'd'
                || first == 't' || (first == 'm' && length == 2)) {
            return false;
        }
        int last = Math.min(request.tokenCount, MAX_TOKENS_SEEN) - 1;
        return request.tokenLength[last] >= HTTP.length && in.regionEquals(base + request.tokenStart[last], HTTP);
    }

    private Outcome retrieval(Buffer in, TextRequest request, int firstKey) {
        request.firstKey = firstKey;
        if (request.tokenCount <= firstKey) {
            // memcached: "get" alone is an unknown command; "gat 10" alone an empty result.
            return firstKey == 1 ? fail(request, ERROR, request.length, false) : Outcome.REQUEST;
        }
        for (int t = firstKey; t < request.tokenCount; t++) {
            if (request.tokenLength[t] > MAX_KEY) {
                return fail(request, BAD_FORMAT, request.length, false);
            }
        }
        return Outcome.REQUEST;
    }

    private Outcome gat(Buffer in, TextRequest request) {
        if (request.tokenCount < 2) {
            return fail(request, ERROR, request.length, false);
        }
        if (!parseExptime(in, request, 1)) {
            return fail(request, BAD_EXPTIME, request.length, false);
        }
        return retrieval(in, request, 2);
    }

    private Outcome storage(Buffer in, TextRequest request) {
        boolean cas = request.command == TextCommand.CAS;
        int required = cas ? 6 : 5;
        if (request.tokenCount != required && request.tokenCount != required + 1) {
            return fail(request, ERROR, request.length, false);
        }
        // memcached takes the last word for noreply, whatever it is: "set k 0 0 noreply" is a silent error.
        request.noreply = lastTokenIsNoreply(in, request);
        if (request.tokenLength[1] > MAX_KEY
                // Flags as memcached's strtoul takes them: it keeps the low 32 bits, as the backend does with the word.
                || !parseUnsigned(in, request, 2, -1L)
                || !parseExptime(in, request, 3)
                || !parseSigned64(in, request, 4)
                || (cas && !parseUnsigned(in, request, 5, -1L))) {
            return fail(request, BAD_FORMAT, request.length, false);
        }
        parseSigned64(in, request, 4);
        return dataBlock(in, request, number, request.command == TextCommand.SET);
    }

    /**
     * ms: the line-only errors first (memcached reads no data block after them), then the data length,
     * then the flags; everything else about the flags, and the data block's own CRLF, is the server's to
     * judge, since memcached judges the flags first and reads the block whatever they say.
     */
    private Outcome metaStorage(Buffer in, TextRequest request) {
        Outcome refused = MetaRequestParser.storageLine(request);
        if (refused != null) {
            return refused;
        }
        long bytes = MetaRequestParser.dataLength(in, request);
        if (bytes == -1) {
            return fail(request, BAD_FORMAT, request.length, false);
        }
        MetaRequestParser.readFlags(in, request, 3);
        // memcached drops the old value of a key whose value it cannot take, in every mode of ms.
        return dataBlock(in, request, bytes, true);
    }

    /** A storage line is whole and valid: its data block of {@code bytes} follows. */
    private Outcome dataBlock(Buffer in, TextRequest request, long bytes, boolean unlinkWhenTooLarge) {
        if (bytes < 0 || bytes > MAX_DATA_LENGTH) {
            // memcached keeps only the low 32 bits of a length (2^32 + 2 reads as 2); a proxy that did the
            // same would send the backend a line whose length the backend reads differently. Refused whole.
            return fail(request, BAD_FORMAT, request.length, false);
        }
        if (bytes > maxPacketBytes) {
            // Like memcached: refuse the value but read past it, so the connection stays in step; a set
            // also loses the key's old value there, so the session unlinks it.
            state = State.SWALLOW;
            swallowRemaining = bytes + 2;
            request.unlinkKey = unlinkWhenTooLarge;
            return fail(request, TOO_LARGE, request.length, false);
        }
        request.dataStart = request.length;
        request.dataLength = (int) bytes;
        request.length += (int) bytes + 2;
        state = State.DATA;
        return completeData(in, request);
    }

    private Outcome completeData(Buffer in, TextRequest request) {
        if (in.readable() < request.length) {
            return Outcome.NEED_MORE;
        }
        state = State.LINE;
        int end = in.readIndex() + request.dataStart + request.dataLength;
        if (request.command != TextCommand.MS && (in.get(end) != '\r' || in.get(end + 1) != '\n')) {
            return fail(request, BAD_DATA_CHUNK, request.length, false);
        }
        return Outcome.REQUEST;
    }

    private Outcome delete(Buffer in, TextRequest request) {
        int count = request.tokenCount;
        if (count < 2 || count > 4) {
            return fail(request, ERROR, request.length, false);
        }
        if (count > 2) {
            boolean holdIsZero = tokenIs(in, request, 2, ZERO);
            request.noreply = lastTokenIsNoreply(in, request);
            boolean valid = (count == 3 && (holdIsZero || request.noreply)) || (count == 4 && holdIsZero && request.noreply);
            if (!valid) {
                return fail(request, DELETE_USAGE, request.length, false);
            }
        }
        if (request.tokenLength[1] > MAX_KEY) {
            return fail(request, BAD_FORMAT, request.length, false);
        }
        return Outcome.REQUEST;
    }

    private Outcome arithmetic(Buffer in, TextRequest request) {
        if (request.tokenCount != 3 && request.tokenCount != 4) {
            return fail(request, ERROR, request.length, false);
        }
        request.noreply = lastTokenIsNoreply(in, request);
        if (request.tokenLength[1] > MAX_KEY) {
            return fail(request, BAD_FORMAT, request.length, false);
        }
        if (!parseUnsigned(in, request, 2, -1L)) {
            return fail(request, BAD_DELTA, request.length, false);
        }
        return Outcome.REQUEST;
    }

    private Outcome touch(Buffer in, TextRequest request) {
        if (request.tokenCount != 3 && request.tokenCount != 4) {
            return fail(request, ERROR, request.length, false);
        }
        request.noreply = lastTokenIsNoreply(in, request);
        if (request.tokenLength[1] > MAX_KEY) {
            return fail(request, BAD_FORMAT, request.length, false);
        }
        if (!parseExptime(in, request, 2)) {
            return fail(request, BAD_EXPTIME, request.length, false);
        }
        return Outcome.REQUEST;
    }

    private Outcome flushAll(Buffer in, TextRequest request) {
        int count = request.tokenCount;
        if (count > 3) {
            return fail(request, ERROR, request.length, false);
        }
        request.noreply = count > 1 && lastTokenIsNoreply(in, request);
        // As memcached: any line but "flush_all [noreply]" has its delay in the first argument, so
        // "flush_all 10 20" waits 10 s and "flush_all noreply x" is a bad delay.
        if (hasFlushDelay(request) && !parseExptime(in, request, 1)) {
            return fail(request, BAD_EXPTIME, request.length, false);
        }
        return Outcome.REQUEST;
    }

    /** Whether a valid flush_all line carries a delay, in token 1. */
    static boolean hasFlushDelay(TextRequest request) {
        return request.tokenCount != (request.noreply ? 2 : 1);
    }

    private Outcome verbosity(Buffer in, TextRequest request) {
        int count = request.tokenCount;
        if (count < 2 || count > 3) {
            return fail(request, ERROR, request.length, false);
        }
        request.noreply = lastTokenIsNoreply(in, request);
        if (!parseUnsigned(in, request, 1, 0xFFFF_FFFFL)) {
            return fail(request, BAD_FORMAT, request.length, false);
        }
        return Outcome.REQUEST;
    }

    /** As memcached: a limit in MB that strtoul takes, else a bare ERROR; the servers judge its size. */
    private Outcome memoryLimit(Buffer in, TextRequest request) {
        int count = request.tokenCount;
        if (count < 2 || count > 3) {
            return fail(request, ERROR, request.length, false);
        }
        request.noreply = lastTokenIsNoreply(in, request);
        if (!parseUnsigned(in, request, 1, 0xFFFF_FFFFL)) {
            return fail(request, ERROR, request.length, false);
        }
        return Outcome.REQUEST;
    }

    private static Outcome fail(TextRequest request, String error, int length, boolean close) {
        request.error = error;
        request.length = length;
        request.closeAfterError = close;
        return Outcome.ERROR;
    }

    /** memcached's set_noreply_maybe: a command is noreply when its last word is. */
    private static boolean lastTokenIsNoreply(Buffer in, TextRequest request) {
        return tokenIs(in, request, request.tokenCount - 1, NOREPLY);
    }

    private static boolean tokenIs(Buffer in, TextRequest request, int token, byte[] word) {
        return request.tokenLength[token] == word.length && in.regionEquals(in.readIndex() + request.tokenStart[token], word);
    }

    /** Decimal digits after an optional plus sign (strtoul's), at most {@code max} (unsigned; -1 for the whole 64-bit range). */
    private boolean parseUnsigned(Buffer in, TextRequest request, int token, long max) {
        int start = in.readIndex() + request.tokenStart[token];
        int length = request.tokenLength[token];
        int first = length > 0 && in.get(start) == '+' ? 1 : 0;
        if (length - first == 0 || length - first > 20) {
            return false;
        }
        long value = 0;
        for (int i = first; i < length; i++) {
            int digit = in.get(start + i) - '0';
            if (digit < 0 || digit > 9) {
                return false;
            }
            long next = value * 10 + digit;
            if (Long.compareUnsigned(value, Long.divideUnsigned(-1L, 10)) > 0 || Long.compareUnsigned(next, value) < 0) {
                return false;
            }
            value = next;
        }
        if (Long.compareUnsigned(value, max) > 0) {
            return false;
        }
        number = value;
        return true;
    }

    /**
     * An exptime or delay as memcached 1.6 takes it: strtol's whole 64-bit range (it keeps the low 32 bits,
     * and so does the backend the word is forwarded to unchanged, so the two agree on every value).
     */
    private boolean parseExptime(Buffer in, TextRequest request, int token) {
        return parseSigned64(in, request, token);
    }

    /** An optional sign and decimal digits (strtol's), within 64-bit signed range (strtol's ERANGE otherwise). */
    private boolean parseSigned64(Buffer in, TextRequest request, int token) {
        int start = in.readIndex() + request.tokenStart[token];
        int length = request.tokenLength[token];
        byte sign = length > 0 ? in.get(start) : 0;
        boolean negative = sign == '-';
        int first = negative || sign == '+' ? 1 : 0;
        if (length - first == 0 || length - first > 19) {
            return false;
        }
        long value = 0;
        for (int i = first; i < length; i++) {
            int digit = in.get(start + i) - '0';
            if (digit < 0 || digit > 9) {
                return false;
            }
            value = value * 10 + digit;
        }
        // 19 digits stay below 2^64, so a value past 2^63 - 1 wraps once and shows as negative; of those,
        // only -2^63 itself (2^63 wrapped) is in strtol's range.
        if (value < 0) {
            if (!negative || value != Long.MIN_VALUE) {
                return false;
            }
            number = Long.MIN_VALUE;
            return true;
        }
        number = negative ? -value : value;
        return true;
    }
}
