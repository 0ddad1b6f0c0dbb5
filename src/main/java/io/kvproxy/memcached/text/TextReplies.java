package io.kvproxy.memcached.text;

import io.kvproxy.spi.Buffer;

/** What memcached's one-line replies mean for replication. */
final class TextReplies {

    static final String BACKUP_WRITE_FAILED = "SERVER_ERROR backup write failed";

    private static final byte[] STORED = {'S', 'T', 'O', 'R', 'E', 'D', '\r'};
    private static final byte[] DELETED = {'D', 'E', 'L', 'E', 'T', 'E', 'D', '\r'};
    private static final byte[] TOUCHED = {'T', 'O', 'U', 'C', 'H', 'E', 'D', '\r'};
    private static final byte[] NOT_FOUND = {'N', 'O', 'T', '_', 'F', 'O', 'U', 'N', 'D', '\r'};

    private static final byte[] ERROR = {'E', 'R', 'R', 'O', 'R', '\r'};
    private static final byte[] CLIENT_ERROR = {'C', 'L', 'I', 'E', 'N', 'T', '_', 'E', 'R', 'R', 'O', 'R', ' '};
    private static final byte[] SERVER_ERROR = {'S', 'E', 'R', 'V', 'E', 'R', '_', 'E', 'R', 'R', 'O', 'R', ' '};

    private TextReplies() {
    }

    /** Whether a reply line is an error: the server did not do what was asked (and may hold the old value). */
    static boolean isError(Buffer buffer, int offset, int length) {
        return buffer.regionEquals(offset, ERROR) || buffer.regionEquals(offset, CLIENT_ERROR)
                || buffer.regionEquals(offset, SERVER_ERROR);
    }

    /**
     * Whether a write reply says the server took the write: STORED, DELETED, TOUCHED or an incr/decr
     * result. {@code notFoundAccepted}: for a backup's answer, NOT_FOUND also leaves it as the master left
     * it (a delete or touch of a key it does not hold).
     */
    static boolean isAccepted(Buffer buffer, int offset, int length, boolean notFoundAccepted) {
        byte first = buffer.get(offset);
        if (first >= '0' && first <= '9') {
            return true;
        }
        return buffer.regionEquals(offset, STORED) || buffer.regionEquals(offset, DELETED)
                || buffer.regionEquals(offset, TOUCHED) || (notFoundAccepted && buffer.regionEquals(offset, NOT_FOUND));
    }
}
