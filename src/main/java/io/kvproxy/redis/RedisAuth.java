package io.kvproxy.redis;

import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.spi.Buffer;

/**
 * Answers a client's AUTH against {@code redis_auth}, as twemproxy does: {@code +OK} for the password,
 * {@code -ERR invalid password} for another, {@code -ERR Client sent AUTH, but no password is set} when the
 * pool has none. {@code AUTH default <password>} (redis-server 6's form, the one user there is) is taken
 * too. The comparison takes the same time whatever the bytes, so timing tells nothing of the password.
 * Immutable; shared by the sessions of a pool.
 */
public final class RedisAuth {

    public static final String INVALID_PASSWORD = "-ERR invalid password";
    public static final String NO_PASSWORD_SET = "-ERR Client sent AUTH, but no password is set";
    public static final String SYNTAX_ERROR = "-ERR syntax error";

    private static final byte[] DEFAULT_USER = {'D', 'E', 'F', 'A', 'U', 'L', 'T'};

    private final byte[] password;

    /** @param password {@code redis_auth}, or null when clients need not authenticate */
    public RedisAuth(byte[] password) {
        this.password = password == null ? null : password.clone();
    }

    /** Whether a client must AUTH before anything else (answered {@link ProxyReplies#NOAUTH} until then). */
    public boolean required() {
        return password != null;
    }

    /**
     * The reply to an AUTH request (its arity checked: 2 or more arguments); {@link ProxyReplies#OK} means
     * the client is now authenticated.
     */
    public String check(Buffer in, RedisRequest request) {
        if (password == null) {
            return NO_PASSWORD_SET;
        }
        int count = request.argCount();
        if (count > 3) {
            return SYNTAX_ERROR;
        }
        if (count == 3 && !request.argEqualsIgnoreCase(in, 1, DEFAULT_USER)) {
            return INVALID_PASSWORD;
        }
        int arg = count - 1;
        return matches(in, request.argIndex(in, arg), request.argLength(arg)) ? ProxyReplies.OK : INVALID_PASSWORD;
    }

    private boolean matches(Buffer in, int index, int length) {
        int difference = length ^ password.length;
        for (int i = 0; i < password.length; i++) {
            difference |= (i < length ? in.get(index + i) : 0) ^ password[i];
        }
        return difference == 0;
    }
}
