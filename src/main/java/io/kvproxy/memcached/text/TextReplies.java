package io.kvproxy.memcached.text;

import io.kvproxy.spi.Buffer;

/** What memcached's one-line replies mean for replication. */
final class TextReplies {

    static final String BACKUP_WRITE_FAILED = "SERVER_ERROR backup write failed";

    private static final byte[] STORED = {'S', 'T', 'O', 'R', 'E', 'D', '\r'};
    private static final byte[] DELETED = {'D', 'E', 'L', 'E', 'T', 'E', 'D', '\r'};
    private static final byte[] TOUCHED = {'T', 'O', 'U', 'C', 'H', 'E', 'D', '\r'};
    private static final byte[] NOT_FOUND = {'N', 'O', 'T', '_', 'F', 'O', 'U', 'N', 'D', '\r'};
    /** Meta codes: HD (done), VA (done, with a value), NF (ms/md/ma: not found), EN (mg: a miss). */
    static final byte[] HD = {'H', 'D'};
    static final byte[] EN = {'E', 'N'};
    private static final byte[] VA = {'V', 'A', ' '};
    static final byte[] NF = {'N', 'F'};

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
                || buffer.regionEquals(offset, TOUCHED) || isMetaCode(buffer, offset, length, HD) || buffer.regionEquals(offset, VA)
                || (notFoundAccepted && (buffer.regionEquals(offset, NOT_FOUND) || isMetaCode(buffer, offset, length, NF)
                        || isMetaCode(buffer, offset, length, EN)));
    }

    /**
     * What memcached 1.6 withholds from a quiet ({@code q}) meta command: mg its miss (EN), ms and md their
     * success (HD), ma its success with or without the value (HD, VA). Errors and every other code go out.
     */
    static boolean isHiddenWhenQuiet(TextCommand command, Buffer buffer, int offset, int length) {
        return switch (command) {
            case MG -> isMetaCode(buffer, offset, length, EN);
            case MA -> isMetaCode(buffer, offset, length, HD) || buffer.regionEquals(offset, VA);
            default -> isMetaCode(buffer, offset, length, HD);
        };
    }

    /** Whether a reply line is the two-letter meta {@code code}, alone or followed by its flags. */
    static boolean isMetaCode(Buffer buffer, int offset, int length, byte[] code) {
        if (length < 3 || !buffer.regionEquals(offset, code)) {
            return false;
        }
        byte next = buffer.get(offset + 2);
        return next == ' ' || next == '\r' || next == '\n';
    }

    /**
     * Whether a meta reply's line carries the W flag (the client won the right to recache): a lone W
     * token, which no other returned flag can be (each starts with its letter and k, O carry a value).
     */
    static boolean hasWinFlag(Buffer buffer, int offset, int length) {
        int end = buffer.indexOf((byte) '\n', offset, offset + length);
        end = end < 0 ? offset + length : end;
        for (int i = offset + 2; i + 1 < end; i++) {
            if (buffer.get(i) == ' ' && buffer.get(i + 1) == 'W') {
                byte after = i + 2 < end ? buffer.get(i + 2) : (byte) '\n';
                if (after == ' ' || after == '\r' || after == '\n') {
                    return true;
                }
            }
        }
        return false;
    }
}
