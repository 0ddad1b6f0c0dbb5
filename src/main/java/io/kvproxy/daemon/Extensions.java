package io.kvproxy.daemon;

import io.kvproxy.config.ConfigException;
import io.kvproxy.config.PoolSettings;
import io.kvproxy.config.ProxyConfig;
import io.kvproxy.daemon.ExtensionLoader.ExtensionException;
import io.kvproxy.spi.InvalidSettingException;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ProtocolProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The protocol extensions a running daemon has loaded, by jar and pool name, so that a reload checks a
 * pool's protocol keys with the provider already loaded instead of loading its jar again (each load is
 * a class loader that would stay). Used by the starting thread, then by the control thread only.
 */
final class Extensions {

    private final Map<String, ProtocolProvider> loaded = new HashMap<>();

    /**
     * Each pool's protocol, made by its extension from the pool's own keys.
     *
     * @throws ConfigException every problem: a jar that cannot be used, a protocol key the extension refuses
     */
    synchronized List<Protocol> protocols(ProxyConfig config) throws ConfigException {
        List<Protocol> protocols = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (PoolSettings pool : config.pools()) {
            try {
                protocols.add(protocol(config, pool));
            } catch (ConfigException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return protocols;
    }

    /** One pool's protocol. */
    synchronized Protocol protocol(ProxyConfig config, PoolSettings pool) throws ConfigException {
        Path jar = config.proxy().extPath().resolve(pool.jar());
        String key = jar + "#" + pool.name();
        ProtocolProvider provider = loaded.get(key);
        if (provider == null) {
            try {
                provider = ExtensionLoader.load(jar, pool.name());
            } catch (ExtensionException e) {
                throw new ConfigException(List.of(ConfigException.problem(config.file(), config.lineOf(pool.name(), "extension"),
                        pool.name(), "extension", e.getMessage())));
            }
            loaded.put(key, provider);
        }
        try {
            return provider.create(pool.protocolSettings());
        } catch (InvalidSettingException e) {
            throw new ConfigException(List.of(ConfigException.problem(config.file(), config.lineOf(pool.name(), e.key()), pool.name(),
                    e.key(), e.getMessage())));
        }
    }
}
