package io.kvproxy.memcached.binary;

import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.CommandKind;
import java.nio.charset.StandardCharsets;

/** The binary protocol's constants and packet layout (memcached's BinaryProtocolRevamped). */
final class Binary {

    static final byte REQUEST_MAGIC = (byte) 0x80;
    static final byte RESPONSE_MAGIC = (byte) 0x81;
    static final int HEADER_LENGTH = 24;

    // Header field offsets.
    static final int OPCODE = 1;
    static final int KEY_LENGTH = 2;
    static final int EXTRAS_LENGTH = 4;
    static final int STATUS = 6;
    static final int BODY_LENGTH = 8;
    static final int OPAQUE = 12;
    static final int CAS = 16;

    // Opcodes.
    static final int GET = 0x00, SET = 0x01, ADD = 0x02, REPLACE = 0x03, DELETE = 0x04, INCREMENT = 0x05,
            DECREMENT = 0x06, QUIT = 0x07, FLUSH = 0x08, GETQ = 0x09, NOOP = 0x0a, VERSION = 0x0b, GETK = 0x0c,
            GETKQ = 0x0d, APPEND = 0x0e, PREPEND = 0x0f, STAT = 0x10, SETQ = 0x11, ADDQ = 0x12, REPLACEQ = 0x13,
            DELETEQ = 0x14, INCREMENTQ = 0x15, DECREMENTQ = 0x16, QUITQ = 0x17, FLUSHQ = 0x18, APPENDQ = 0x19,
            PREPENDQ = 0x1a, VERBOSITY = 0x1b, TOUCH = 0x1c, GAT = 0x1d, GATQ = 0x1e, SASL_LIST_MECHS = 0x20,
            SASL_AUTH = 0x21, SASL_STEP = 0x22, GATK = 0x23, GATKQ = 0x24;

    // Statuses.
    static final int SUCCESS = 0x0000, KEY_NOT_FOUND = 0x0001, VALUE_TOO_LARGE = 0x0003, INVALID_ARGUMENTS = 0x0004,
            UNKNOWN_COMMAND = 0x0081, NOT_SUPPORTED = 0x0083, INTERNAL_ERROR = 0x0084, TEMPORARY_FAILURE = 0x0086;

    static final int MAX_KEY = 250;

    private Binary() {
    }

    /** The opcode sent to backends for {@code opcode}: quiet opcodes become their loud twins. */
    static int loud(int opcode) {
        return switch (opcode) {
            case GETQ -> GET;
            case GETKQ -> GETK;
            case SETQ -> SET;
            case ADDQ -> ADD;
            case REPLACEQ -> REPLACE;
            case DELETEQ -> DELETE;
            case INCREMENTQ -> INCREMENT;
            case DECREMENTQ -> DECREMENT;
            case QUITQ -> QUIT;
            case FLUSHQ -> FLUSH;
            case APPENDQ -> APPEND;
            case PREPENDQ -> PREPEND;
            case GATQ -> GAT;
            case GATKQ -> GATK;
            default -> opcode;
        };
    }

    /** What the metrics call {@code opcode} when it goes to a server. */
    static CommandKind commandKind(int opcode) {
        return switch (loud(opcode)) {
            case GET, GETK, GAT, GATK -> CommandKind.GET;
            case SET, ADD, REPLACE, APPEND, PREPEND -> CommandKind.SET;
            case DELETE -> CommandKind.DELETE;
            case INCREMENT, DECREMENT -> CommandKind.ARITHMETIC;
            case TOUCH -> CommandKind.TOUCH;
            default -> CommandKind.OTHER;
        };
    }

    static boolean isQuiet(int opcode) {
        return loud(opcode) != opcode;
    }

    /** Retrievals: a quiet one hides a miss; any other quiet opcode hides a success. */
    static boolean isRetrieval(int loudOpcode) {
        return loudOpcode == GET || loudOpcode == GETK || loudOpcode == GAT || loudOpcode == GATK;
    }

    /** Writes a response packet with no extras, key or CAS, and {@code message} as its value. */
    static void writeError(Buffer out, int opcode, int status, int opaque, String message) {
        writeHeader(out, opcode, 0, 0, status, message.length(), opaque, 0);
        out.putAscii(message);
    }

    /** Writes a response header; the caller appends {@code bodyLength} bytes of extras, key and value. */
    static void writeHeader(Buffer out, int opcode, int keyLength, int extrasLength, int status, int bodyLength,
                            int opaque, long cas) {
        out.put(RESPONSE_MAGIC).put((byte) opcode).putShort(keyLength).put((byte) extrasLength).put((byte) 0)
                .putShort(status).putInt(bodyLength).putInt(opaque).putLong(cas);
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
