package io.kvproxy.redis;

import io.kvproxy.spi.ExtensionSettings;
import java.nio.charset.StandardCharsets;

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

    /**
     * Reads the section's protocol keys, refusing through {@code settings} every unknown key and every bad
     * value (all of them, for the core to report at once); a refused value reads as its default.
     */
    public static RedisSettings read(ExtensionSettings settings) {
        for (ExtensionSettings.Setting setting : settings.all()) {
            if (!setting.key().equals("redis_auth") && !setting.key().equals("redis_db")) {
                settings.refuse(setting.key(), "unknown key for the redis protocol");
            }
        }
        byte[] password = null;
        String auth = settings.value("redis_auth", null);
        if (auth != null) {
            byte[] bytes = auth.getBytes(StandardCharsets.UTF_8);
            if (bytes.length == 0 || bytes.length > MAX_PASSWORD_LENGTH) {
                settings.refuse("redis_auth", "must be 1 to " + MAX_PASSWORD_LENGTH + " bytes, not " + bytes.length);
            } else {
                password = bytes;
            }
        }
        int database = 0;
        String db = settings.value("redis_db", null);
        if (db != null) {
            try {
                int number = Integer.parseInt(db);
                if (number < 0) {
                    settings.refuse("redis_db", "expected a database number of 0 or more, got " + number);
                } else {
                    database = number;
                }
            } catch (NumberFormatException e) {
                settings.refuse("redis_db", "expected a database number, got \"" + db + "\"");
            }
        }
        return new RedisSettings(password, database);
    }

    public boolean requiresAuth() {
        return password != null;
    }
}
