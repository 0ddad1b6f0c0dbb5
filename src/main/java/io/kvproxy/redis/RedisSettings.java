package io.kvproxy.redis;

import io.kvproxy.spi.InvalidSettingException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The Redis protocol's keys of a pool section, validated once: {@code redis_auth}, the password clients
 * must give the proxy and the proxy gives every backend connection and probe (twemproxy's key: at most
 * 255 bytes, as twemproxy has it), and {@code redis_db}, the database every backend connection selects.
 *
 * @param password {@code redis_auth}'s bytes, or null when clients need not authenticate
 * @param database {@code redis_db}: 0 unless set
 */
public record RedisSettings(byte[] password, int database) {

    static final int MAX_PASSWORD_LENGTH = 255;

    /** Reads the section's protocol keys; the first unknown or bad one is refused, naming the key. */
    public static RedisSettings parse(Map<String, String> settings) throws InvalidSettingException {
        for (String key : settings.keySet()) {
            if (!key.equals("redis_auth") && !key.equals("redis_db")) {
                throw new InvalidSettingException(key, "unknown key for the redis protocol");
            }
        }
        byte[] password = null;
        String auth = settings.get("redis_auth");
        if (auth != null) {
            password = auth.getBytes(StandardCharsets.UTF_8);
            if (password.length == 0 || password.length > MAX_PASSWORD_LENGTH) {
                throw new InvalidSettingException("redis_auth", "must be 1 to " + MAX_PASSWORD_LENGTH + " bytes, not " + password.length);
            }
        }
        int database = 0;
        String db = settings.get("redis_db");
        if (db != null) {
            try {
                database = Integer.parseInt(db);
            } catch (NumberFormatException e) {
                throw new InvalidSettingException("redis_db", "expected a database number, got \"" + db + "\"");
            }
            if (database < 0) {
                throw new InvalidSettingException("redis_db", "expected a database number of 0 or more, got " + database);
            }
        }
        return new RedisSettings(password, database);
    }

    public boolean requiresAuth() {
        return password != null;
    }
}
