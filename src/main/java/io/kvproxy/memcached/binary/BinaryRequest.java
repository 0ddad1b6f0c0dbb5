package io.kvproxy.memcached.binary;

/**
 * One parsed binary request packet, reused for every request of a connection. Offsets are relative to
 * the input buffer's read index when parsed and valid until the packet is consumed.
 */
final class BinaryRequest {

    /** What the parser found. */
    enum Outcome {
        /** A whole, well-formed packet. */
        REQUEST,
        /** A packet to answer with {@link #status}; then go on or close, as {@link #closeAfterError} says. */
        ERROR,
        /** Not a whole packet yet. */
        NEED_MORE,
        /** Not a request packet at all (bad magic): answer nothing more, close after earlier replies. */
        GARBAGE
    }

    int opcode;
    int keyLength;
    int extrasLength;
    int bodyLength;
    int opaque;
    long cas;
    /** The whole packet: header and body (for a swallowed body, header, extras and key). */
    int length;
    int status;
    String message;
    boolean closeAfterError;
    /** A SET(Q) refused as too large: memcached drops the key's old value too (the key is still in the buffer). */
    boolean unlinkKey;

    int extrasStart() {
        return Binary.HEADER_LENGTH;
    }

    int keyStart() {
        return Binary.HEADER_LENGTH + extrasLength;
    }

    int valueStart() {
        return keyStart() + keyLength;
    }

    int valueLength() {
        return bodyLength - extrasLength - keyLength;
    }
}
