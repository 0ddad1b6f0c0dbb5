package io.kvproxy.daemon;

import io.kvproxy.config.ConfigException;
import io.kvproxy.config.ExtensionCheck;
import io.kvproxy.config.PoolSettings;
import io.kvproxy.config.ProxyConfig;
import io.kvproxy.daemon.ExtensionLoader.ExtensionException;
import io.kvproxy.spi.ExtensionSettings;
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
 * a class loader that would stay). The config loader's {@link ExtensionCheck}: each pool's keys the core
 * does not know are validated by its extension while the file is read. Used by the starting thread, then
 * by the control thread only.
 */
final class Extensions implements ExtensionCheck {

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

    @Override
    public synchronized void check(Path jar, String pool, ExtensionSettings settings) throws UnusableExtensionException {
        try {
            provider(jar, pool).validate(settings);
        } catch (ExtensionException e) {
            throw new UnusableExtensionException(e.getMessage());
        }
    }

    /** One pool's protocol, from keys the loader had its extension validate. */
    synchronized Protocol protocol(ProxyConfig config, PoolSettings pool) throws ConfigException {
        Path jar = config.proxy().extPath().resolve(pool.jar());
        ProtocolProvider provider;
        try {
            provider = provider(jar, pool.name());
        } catch (ExtensionException e) {
            throw new ConfigException(List.of(ConfigException.problem(config.file(), config.lineOf(pool.name(), "extension"),
                    pool.name(), "extension", e.getMessage())));
        }
        List<ExtensionSettings.Setting> keys = new ArrayList<>();
        pool.protocolSettings().forEach((key, value) -> keys.add(new ExtensionSettings.Setting(key, value, config.lineOf(pool.name(), key))));
        ExtensionSettings settings = new ExtensionSettings(keys);
        // Validated when the file was read; checked again so that a config made otherwise cannot slip by.
        provider.validate(settings);
        if (!settings.problems().isEmpty()) {
            throw new ConfigException(settings.problems().stream()
                    .map(problem -> ConfigException.problem(config.file(), problem.line(), pool.name(), problem.key(), problem.message()))
                    .toList());
        }
        return provider.create(settings);
    }

    private ProtocolProvider provider(Path jar, String pool) throws ExtensionException {
        String key = jar + "#" + pool;
        ProtocolProvider provider = loaded.get(key);
        if (provider == null) {
            provider = ExtensionLoader.load(jar, pool);
            loaded.put(key, provider);
        }
        return provider;
    }
}
