package io.kvproxy.memcached.text;

import io.kvproxy.memcached.text.TextRequest.Outcome;
import io.kvproxy.spi.Buffer;

/**
 * The meta commands' part of {@link TextRequestParser}: checks a meta line only as far as the proxy must
 * judge it itself, and reads its flags into {@link TextRequest#meta}. The proxy itself answers what
 * memcached answers before it looks at the flags and, for {@code ms}, before it knows how many data
 * bytes follow (those errors read no data block, so the proxy must not either); everything else goes to
 * the key's server, whose answer, error or not, the client gets as memcached gives it.
 *
 * <p>Stateless beyond its caller's: the line is whole when it is called, so resuming is the text
 * parser's (the data block of {@code ms} is read by its DATA state).
 */
final class MetaRequestParser {

    /** memcached's MFLAG_MAX_OPT_LENGTH: lines of this many tokens or more (its count: ours + 1) are refused. */
    static final int MAX_TOKENS = 20;
    /** memcached 1.6.18's words for a meta line with too many tokens: ms says it one way, the others another. */
    static final String MS_FLAGS_TOO_LONG = "CLIENT_ERROR options flags too long";

    private MetaRequestParser() {
    }

    /**
     * mg, md, ma, me: a line with a key. Without one memcached answers ERROR (me: bad format); anything
     * else wrong with it (a long key, a bad flag, an undecodable base64 key) is its server's to say.
     */
    static Outcome keyed(Buffer in, TextRequest request) {
        if (request.tokenCount < 2) {
            return fail(request, request.command == TextCommand.ME ? TextRequestParser.BAD_FORMAT : TextRequestParser.ERROR);
        }
        readFlags(in, request, 2);
        return Outcome.REQUEST;
    }

    /**
     * ms, up to its data length: the line-only errors memcached gives before it would read a data block.
     * Returns null when the line is fit to have its data length read from token 2.
     */
    static Outcome storageLine(TextRequest request) {
        if (request.tokenCount < 2) {
            return fail(request, TextRequestParser.ERROR);
        }
        if (request.tokenLength[1] > TextRequestParser.MAX_KEY || request.tokenCount == 2) {
            return fail(request, TextRequestParser.BAD_FORMAT);
        }
        if (request.tokenCount >= MAX_TOKENS) {
            return fail(request, MS_FLAGS_TOO_LONG);
        }
        return null;
    }

    /**
     * The data length of an ms line (token 2), read as memcached's safe_strtol reads it: strtol skips
     * leading white space and stops at the first byte that is not a digit, which must then be white space
     * (a {@code \r} inside the line, say) or the token's end. Returns -1 when that is not a number, and
     * lengths beyond the 32 bits memcached keeps as they are (the caller refuses those whole).
     */
    static long dataLength(Buffer in, TextRequest request) {
        int i = in.readIndex() + request.tokenStart[2];
        int end = i + request.tokenLength[2];
        while (i < end && isSpace(in.get(i))) {
            i++;
        }
        boolean negative = i < end && in.get(i) == '-';
        if (i < end && (in.get(i) == '-' || in.get(i) == '+')) {
            i++;
        }
        long value = 0;
        int digits = 0;
        for (; i < end && in.get(i) >= '0' && in.get(i) <= '9'; i++, digits++) {
            if (value > (Long.MAX_VALUE - 9) / 10) {
                return -1;
            }
            value = value * 10 + in.get(i) - '0';
        }
        if (digits == 0 || (i < end && !isSpace(in.get(i)))) {
            return -1;
        }
        return negative && value > 0 ? -2 : value;
    }

    /** C's isspace, less the space itself, which never lies inside a token. */
    private static boolean isSpace(byte b) {
        return b == '\t' || b == '\n' || b == 0x0b || b == '\f' || b == '\r';
    }

    /** The flags of a line whose first flag is token {@code first}; only a flag's first use counts. */
    static void readFlags(Buffer in, TextRequest request, int first) {
        MetaRequest meta = request.meta;
        meta.firstFlag = first;
        int base = in.readIndex();
        for (int t = first; t < request.tokenCount; t++) {
            switch (in.get(base + request.tokenStart[t])) {
                case 'q' -> {
                    meta.quiet = true;
                    meta.quietTokens++;
                }
                case 'b' -> meta.base64Key = true;
                case 'c' -> meta.returnsCas = true;
                case 'I' -> meta.invalidates = true;
                case 'P' -> meta.hasP = true;
                case 'L' -> meta.hasL = true;
                case 'T' -> meta.ttlToken = first(meta.ttlToken, t);
                case 'N' -> meta.vivifyToken = first(meta.vivifyToken, t);
                case 'R' -> meta.recacheToken = first(meta.recacheToken, t);
                case 'F' -> meta.clientFlagsToken = first(meta.clientFlagsToken, t);
                case 'M' -> meta.modeToken = first(meta.modeToken, t);
                case 'D' -> meta.deltaToken = first(meta.deltaToken, t);
                default -> {
                    // Any other flag changes nothing the proxy decides; the server judges it.
                }
            }
        }
    }

    private static int first(int seen, int token) {
        return seen < 0 ? token : seen;
    }

    private static Outcome fail(TextRequest request, String error) {
        request.error = error;
        return Outcome.ERROR;
    }
}
