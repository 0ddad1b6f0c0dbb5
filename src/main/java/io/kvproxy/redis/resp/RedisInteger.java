package io.kvproxy.redis.resp;

import io.kvproxy.spi.Buffer;

/**
 * redis-server's {@code string2ll} over bytes of a buffer, without allocating: an optional minus and
 * decimal digits, no leading zero (but "0" itself), no plus, no spaces, within 64-bit signed range. What
 * redis-server takes as an integer argument (a count, a length, a TTL) is exactly what {@link #parse}
 * takes, so the proxy never reads a number the server would refuse, nor refuses one it would read.
 *
 * <p>Owner: one parser or session; {@link #value()} is the last successful parse's.
 */
public final class RedisInteger {

    private long value;

    /** Whether the {@code length} bytes at absolute {@code start} of {@code in} are an integer; then {@link #value()}. */
    public boolean parse(Buffer in, int start, int length) {
        if (length == 0 || length > 20) {
            return false;
        }
        if (length == 1 && in.get(start) == '0') {
            value = 0;
            return true;
        }
        boolean negative = in.get(start) == '-';
        int i = negative ? 1 : 0;
        if (i == length || in.get(start + i) < '1' || in.get(start + i) > '9') {
            return false;
        }
        if (length - i > 19) {
            // Twenty digits are at least 10^19, beyond the 64-bit range either way.
            return false;
        }
        long parsed = 0;
        for (; i < length; i++) {
            int digit = in.get(start + i) - '0';
            if (digit < 0 || digit > 9) {
                return false;
            }
            parsed = parsed * 10 + digit;
        }
        // Nineteen digits stay below 2^64: a value past 2^63 - 1 shows as negative, and of those only
        // -2^63 itself is in range.
        if (parsed < 0 && !(negative && parsed == Long.MIN_VALUE)) {
            return false;
        }
        value = negative ? -parsed : parsed;
        return true;
    }

    /** The value of the last successful {@link #parse}. */
    public long value() {
        return value;
    }
}
