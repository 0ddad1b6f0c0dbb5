package io.kvproxy.config;

import io.kvproxy.memcached.MemcachedProvider;
import io.kvproxy.spi.ExtensionSettings;
import java.nio.file.Path;

/**
 * The loader's extension check as the daemon makes it for {@code memcached.jar}, without loading a jar:
 * the memcached provider validates the keys the core does not know, whatever jar a pool names, so these
 * tests read files as the daemon does and need no jar in place.
 */
public final class MemcachedKeysCheck implements ExtensionCheck {

    public static final MemcachedKeysCheck INSTANCE = new MemcachedKeysCheck();

    private MemcachedKeysCheck() {
    }

    @Override
    public void check(Path jar, String pool, ExtensionSettings settings) {
        new MemcachedProvider().validate(settings);
    }
}
