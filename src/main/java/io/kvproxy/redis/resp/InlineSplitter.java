package io.kvproxy.redis.resp;

import io.kvproxy.spi.Buffer;

/**
 * Splits an inline request line into arguments as redis-server's {@code sdssplitargs} does: words
 * separated by blanks; a word may hold {@code "..."} parts with C escapes ({@code \n \r \t \b \a},
 * {@code \xHH}, a backslash before any other byte keeping that byte) and {@code '...'} parts where only
 * {@code \'} is an escape; a closing quote must be followed by a blank or the end of the line.
 *
 * <p>Arguments are unescaped in place, in the input buffer itself: an argument never grows when
 * unescaped and never starts before its own text, so each byte is written only after it was read, and
 * no argument needs memory of its own. A NUL byte ends the line, as it ends redis-server's C string.
 */
final class InlineSplitter {

    private InlineSplitter() {
    }

    /**
     * Adds the arguments of the line {@code [base, end)} to {@code request} (offsets from {@code base},
     * the read index).
     *
     * @return false for unbalanced quotes (redis-server's protocol error)
     */
    static boolean split(Buffer in, int base, int end, RedisRequest request) {
        int p = base;
        while (true) {
            while (p < end && isSpace(in.get(p))) {
                p++;
            }
            if (p >= end || in.get(p) == 0) {
                return true;
            }
            int start = p;
            int out = p;
            boolean doubleQuoted = false;
            boolean singleQuoted = false;
            while (true) {
                int c = at(in, p, end);
                if (doubleQuoted || singleQuoted) {
                    int next = at(in, p + 1, end);
                    if (doubleQuoted && c == '\\' && next == 'x' && isHex(at(in, p + 2, end)) && isHex(at(in, p + 3, end))) {
                        in.set(out++, (byte) (hexValue(at(in, p + 2, end)) * 16 + hexValue(at(in, p + 3, end))));
                        p += 4;
                    } else if (c == '\\' && (doubleQuoted ? next != 0 : next == '\'')) {
                        in.set(out++, doubleQuoted ? unescape(next) : (byte) '\'');
                        p += 2;
                    } else if (c == (doubleQuoted ? '"' : '\'')) {
                        if (!endsWord(next)) {
                            return false;
                        }
                        p++;
                        break;
                    } else if (c == 0) {
                        return false;
                    } else {
                        in.set(out++, (byte) c);
                        p++;
                    }
                } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0) {
                    if (c != 0) {
                        p++;
                    }
                    break;
                } else if (c == '"') {
                    doubleQuoted = true;
                    p++;
                } else if (c == '\'') {
                    singleQuoted = true;
                    p++;
                } else {
                    in.set(out++, (byte) c);
                    p++;
                }
            }
            request.addArg(start - base, out - start);
        }
    }

    /** The byte at {@code index} as unsigned, or 0 past the end (the C string's terminator). */
    private static int at(Buffer in, int index, int end) {
        return index < end ? in.get(index) & 0xff : 0;
    }

    /** A closing quote must be followed by a blank or by nothing at all. */
    private static boolean endsWord(int next) {
        return next == 0 || isSpace(next);
    }

    /** C's {@code isspace} in the C locale. */
    private static boolean isSpace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r';
    }

    private static boolean isHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static int hexValue(int c) {
        return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    }

    private static byte unescape(int c) {
        return (byte) switch (c) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'b' -> '\b';
            case 'a' -> 0x07;
            default -> c;
        };
    }
}
