package io.kvproxy.redis;

import io.kvproxy.redis.resp.RespWriter;
import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * What the proxy says first on every new backend connection and probe, from the pool's settings:
 * {@code AUTH <redis_auth>} when there is a password, {@code SELECT <redis_db>} when the database is not
 * 0; and the probe itself, {@code PING}. Each request is answered by one reply, which must be {@code +OK}
 * (the probe's: {@code +PONG}) for the server to be used. Immutable; shared by all workers.
 */
public final class BackendHandshake {

    private static final byte[] AUTH = {'A', 'U', 'T', 'H'};
    private static final byte[] SELECT = {'S', 'E', 'L', 'E', 'C', 'T'};
    private static final byte[] PING = {'P', 'I', 'N', 'G'};
    private static final byte[] OK = {'+', 'O', 'K', '\r', '\n'};
    private static final byte[] PONG = {'+', 'P', 'O', 'N', 'G', '\r', '\n'};

    private final byte[] password;
    private final byte[] database;

    public BackendHandshake(RedisSettings settings) {
        this.password = settings.password() == null ? null : settings.password().clone();
        this.database = settings.database() == 0 ? null : Integer.toString(settings.database()).getBytes(StandardCharsets.US_ASCII);
    }

    /** How many requests {@link #write} sends (and so how many replies to check): 0, 1 or 2. */
    public int requestCount() {
        return (password != null ? 1 : 0) + (database != null ? 1 : 0);
    }

    /** Writes the handshake's requests, AUTH before SELECT (a protected server takes nothing before AUTH). */
    public void write(Buffer out) {
        if (password != null) {
            RespWriter.writeArrayHeader(out, 2);
            RespWriter.writeBulk(out, AUTH);
            RespWriter.writeBulk(out, password);
        }
        if (database != null) {
            RespWriter.writeArrayHeader(out, 2);
            RespWriter.writeBulk(out, SELECT);
            RespWriter.writeBulk(out, database);
        }
    }

    /** Whether a handshake reply says the server took it. */
    public static boolean accepted(Buffer in, int offset, int length) {
        return length == OK.length && in.regionEquals(offset, OK);
    }

    /** Writes the probe: PING, which any healthy server answers at once (after the handshake). */
    public static void writeProbe(Buffer out) {
        RespWriter.writeArrayHeader(out, 1);
        RespWriter.writeBulk(out, PING);
    }

    /** Whether a probe's reply says the server is healthy. */
    public static boolean healthy(Buffer in, int offset, int length) {
        return length == PONG.length && in.regionEquals(offset, PONG);
    }
}
