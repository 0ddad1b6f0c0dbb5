package io.kvproxy.memcached.text;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.Protocol.ProbeResult;

/**
 * A repair request and its answer: {@code delete <key>} (or {@code flush_all}) sent to a server that may
 * hold a stale copy. Well answered when the server deleted the key or did not hold it (or flushed).
 */
public final class TextInvalidate implements TextReplyReceiver {

    private static final byte[] DELETE = {'d', 'e', 'l', 'e', 't', 'e', ' '};
    private static final byte[] FLUSH_ALL = {'f', 'l', 'u', 's', 'h', '_', 'a', 'l', 'l', '\r', '\n'};
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] DELETED = {'D', 'E', 'L', 'E', 'T', 'E', 'D', '\r', '\n'};
    private static final byte[] NOT_FOUND = {'N', 'O', 'T', '_', 'F', 'O', 'U', 'N', 'D', '\r', '\n'};
    private static final byte[] OK = {'O', 'K', '\r', '\n'};
    private static final byte[] META_DELETE = {'m', 'd', ' '};
    private static final byte[] BASE64_FLAG = {' ', 'b'};

    private final ProbeResult result;

    public TextInvalidate(ProbeResult result) {
        this.result = result;
    }

    /**
     * {@code delete <key>}; a key text cannot carry (a meta command's base64 key, decoded) is named in
     * base64 with the meta delete, {@code md <key> b}.
     */
    public static void writeDelete(Buffer out, Buffer key, int offset, int length) {
        if (Base64Key.isTextSafe(key, offset, length)) {
            out.put(DELETE).put(key, offset, length).put(CRLF);
        } else {
            out.put(META_DELETE);
            Base64Key.encode(key, offset, length, out);
            out.put(BASE64_FLAG).put(CRLF);
        }
    }

    public static void writeFlush(Buffer out) {
        out.put(FLUSH_ALL);
    }

    @Override
    public boolean expectsValues() {
        return false;
    }

    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        result.answered(buffer.regionEquals(offset, DELETED) || buffer.regionEquals(offset, NOT_FOUND)
                || buffer.regionEquals(offset, OK) || TextReplies.isMetaCode(buffer, offset, length, TextReplies.HD)
                || TextReplies.isMetaCode(buffer, offset, length, TextReplies.NF));
    }

    @Override
    public void onFailure(BackendFailure failure) {
        result.answered(false);
    }
}
