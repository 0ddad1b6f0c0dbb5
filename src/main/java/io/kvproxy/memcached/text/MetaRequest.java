package io.kvproxy.memcached.text;

import io.kvproxy.spi.Buffer;

/**
 * What the proxy needs of a meta request's flags ({@code mg ms md ma me}): how to route it, what the
 * client must not see (quiet mode), and which tokens its replica to the backup keeps. Token indices are
 * into the owning {@link TextRequest}'s tokens; -1 when the flag is absent. Every other check of the flags
 * (duplicates, unknown letters, bad numbers, opaque length) is the backend's, whose error the client gets
 * byte for byte: the proxy forwards the line, so it can never judge a flag differently from memcached.
 *
 * <p>Owned by its {@link TextRequest} (one per connection, reset for every request); not thread-safe.
 */
final class MetaRequest {

    /** Index of the first flag token: 2, or 3 for {@code ms} (after the data length). */
    int firstFlag;
    /** {@code q}: the client does not see the nominal reply ({@link #hiddenCode}); errors it always sees. */
    boolean quiet;
    /** {@code b}: the key is base64; it is routed on the decoded bytes, as memcached stores it. */
    boolean base64Key;
    /** {@code c}: the reply carries a CAS token, valid only on the master that made it. */
    boolean returnsCas;
    /** {@code I}: ms/md invalidate instead of storing/deleting plainly. */
    boolean invalidates;
    int ttlToken;
    int vivifyToken;
    int recacheToken;
    int clientFlagsToken;
    int modeToken;
    int deltaToken;
    /** How many tokens start with {@code q}, {@code P} and {@code L}: the loud stand-in for q depends on them. */
    int quietTokens;
    boolean hasP;
    boolean hasL;

    void reset() {
        firstFlag = 2;
        quiet = false;
        base64Key = false;
        returnsCas = false;
        invalidates = false;
        ttlToken = -1;
        vivifyToken = -1;
        recacheToken = -1;
        clientFlagsToken = -1;
        modeToken = -1;
        deltaToken = -1;
        quietTokens = 0;
        hasP = false;
        hasL = false;
    }

    /** The mode letter of {@code M<mode>}, or 0 without one. */
    byte mode(TextRequest request, Buffer in) {
        return modeToken < 0 || request.tokenLength[modeToken] < 2 ? 0 : in.get(in.readIndex() + request.tokenStart[modeToken] + 1);
    }

    /**
     * The letter the backend sees instead of a {@code q} token's: {@code P} or {@code L}, which memcached
     * ignores, so the backend answers loudly and the flags it returns keep their order. It must not repeat
     * a letter the line already has (memcached refuses duplicate flags) nor hide a duplicate q (it
     * refuses that too), so: 0 (drop the one q token) when the line has both P and L.
     */
    byte quietStandIn() {
        if (!hasP) {
            return 'P';
        }
        if (!hasL) {
            return 'L';
        }
        return quietTokens == 1 ? 0 : (byte) 'P';
    }
}
