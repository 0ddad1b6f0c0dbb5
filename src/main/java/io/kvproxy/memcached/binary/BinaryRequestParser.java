package io.kvproxy.memcached.binary;

import static io.kvproxy.memcached.binary.Binary.*;

import io.kvproxy.memcached.binary.BinaryRequest.Outcome;
import io.kvproxy.spi.Buffer;

/**
 * Parses binary request packets out of a connection's input buffer, resuming where the bytes ran out.
 * Checks every packet as memcached 1.6 does before acting on it — lengths, extras, key — and answers as
 * memcached does: an unknown opcode with 0x0081 (the connection goes on), a malformed packet with 0x0004
 * (then close), a value over {@code max_packet} with 0x0003 (its body read and dropped; for SET and
 * SETQ the key's old value is to be unlinked too, as memcached does).
 *
 * <p>States: HEADER (waiting for a whole packet), SWALLOW (discarding an oversized body). One parser per
 * connection; not thread-safe.
 */
final class BinaryRequestParser {

    private enum State { HEADER, SWALLOW }

    private final int maxPacketBytes;
    private State state = State.HEADER;
    private long swallowRemaining;

    BinaryRequestParser(int maxPacketBytes) {
        this.maxPacketBytes = maxPacketBytes;
    }

    Outcome parse(Buffer in, BinaryRequest request) {
        if (state == State.SWALLOW) {
            int skip = (int) Math.min(in.readable(), swallowRemaining);
            in.skip(skip);
            swallowRemaining -= skip;
            if (swallowRemaining > 0) {
                return Outcome.NEED_MORE;
            }
            state = State.HEADER;
        }
        int base = in.readIndex();
        if (in.readable() == 0) {
            return Outcome.NEED_MORE;
        }
        if (in.get(base) != REQUEST_MAGIC) {
            return Outcome.GARBAGE;
        }
        if (in.readable() < HEADER_LENGTH) {
            return Outcome.NEED_MORE;
        }
        request.opcode = in.get(base + OPCODE) & 0xff;
        request.keyLength = in.getUnsignedShort(base + KEY_LENGTH);
        request.extrasLength = in.get(base + EXTRAS_LENGTH) & 0xff;
        long bodyLength = in.getInt(base + BODY_LENGTH) & 0xffff_ffffL;
        request.opaque = in.getInt(base + OPAQUE);
        request.cas = in.getLong(base + CAS);
        request.status = SUCCESS;
        request.message = null;
        request.closeAfterError = false;
        request.unlinkKey = false;
        if ((long) request.keyLength + request.extrasLength > bodyLength) {
            return fail(request, INVALID_ARGUMENTS, "Invalid arguments", HEADER_LENGTH, true);
        }
        if (bodyLength > maxPacketBytes + MAX_KEY + 64L) {
            if (isStorage(loud(request.opcode)) && request.keyLength <= MAX_KEY) {
                // As memcached: refuse the value, read past it, keep the connection. The extras and key
                // (a few hundred bytes at most) are kept to unlink the key; only the value is swallowed.
                int prefix = HEADER_LENGTH + request.extrasLength + request.keyLength;
                if (in.readable() < prefix) {
                    return Outcome.NEED_MORE;
                }
                state = State.SWALLOW;
                swallowRemaining = bodyLength - request.extrasLength - request.keyLength;
                return tooLarge(request, prefix);
            }
            return fail(request, INVALID_ARGUMENTS, "Invalid arguments", HEADER_LENGTH, true);
        }
        request.bodyLength = (int) bodyLength;
        request.length = HEADER_LENGTH + request.bodyLength;
        if (in.readable() < request.length) {
            return Outcome.NEED_MORE;
        }
        if (request.keyLength > MAX_KEY) {
            return fail(request, INVALID_ARGUMENTS, "Invalid arguments", request.length, true);
        }
        if (isStorage(loud(request.opcode)) && request.valueLength() > maxPacketBytes) {
            return tooLarge(request, request.length);
        }
        return check(request);
    }

    private static Outcome tooLarge(BinaryRequest request, int length) {
        request.unlinkKey = loud(request.opcode) == SET;
        return fail(request, VALUE_TOO_LARGE, "Too large.", length, false);
    }

    /** memcached's per-opcode shape checks. */
    private static Outcome check(BinaryRequest request) {
        int extras = request.extrasLength;
        int key = request.keyLength;
        int body = request.bodyLength;
        boolean valid;
        switch (request.opcode) {
            case GET, GETQ, GETK, GETKQ, DELETE, DELETEQ -> valid = extras == 0 && key > 0 && body == key;
            case SET, SETQ, ADD, ADDQ, REPLACE, REPLACEQ -> valid = extras == 8 && key > 0;
            case APPEND, APPENDQ, PREPEND, PREPENDQ -> valid = extras == 0 && key > 0;
            case INCREMENT, INCREMENTQ, DECREMENT, DECREMENTQ -> valid = extras == 20 && key > 0 && body == key + 20;
            case QUIT, QUITQ, NOOP, VERSION -> valid = extras == 0 && key == 0 && body == 0;
            case FLUSH, FLUSHQ -> valid = (extras == 0 || extras == 4) && key == 0 && body == extras;
            case STAT -> valid = extras == 0 && body == key;
            case VERBOSITY -> valid = extras == 4 && key == 0 && body == 4;
            case TOUCH, GAT, GATQ, GATK, GATKQ -> valid = extras == 4 && key > 0 && body == key + 4;
            case SASL_LIST_MECHS, SASL_AUTH, SASL_STEP -> {
                // No authentication to pass through: say so, and the connection goes on.
                return fail(request, NOT_SUPPORTED, "Not supported", request.length, false);
            }
            default -> {
                return fail(request, UNKNOWN_COMMAND, "Unknown command", request.length, false);
            }
        }
        return valid ? Outcome.REQUEST : fail(request, INVALID_ARGUMENTS, "Invalid arguments", request.length, true);
    }

    static boolean isStorage(int loudOpcode) {
        return loudOpcode == SET || loudOpcode == ADD || loudOpcode == REPLACE || loudOpcode == APPEND || loudOpcode == PREPEND;
    }

    private static Outcome fail(BinaryRequest request, int status, String message, int length, boolean close) {
        request.status = status;
        request.message = message;
        request.length = length;
        request.closeAfterError = close;
        return Outcome.ERROR;
    }
}
