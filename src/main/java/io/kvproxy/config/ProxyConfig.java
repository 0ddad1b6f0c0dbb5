package io.kvproxy.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A whole, validated configuration file. Immutable.
 *
 * @param file the file it was read from, for messages
 * @param proxy the {@code [kvproxy]} section
 * @param pools every section with an {@code extension} key, in file order, with the clusters it names;
 *     never empty, their listen addresses distinct
 * @param keyLines line number of every key, as {@code "section.key"}, so later checks (the extension's
 *     own settings) can name the line as the loader's do
 */
public record ProxyConfig(Path file, ProxySettings proxy, List<PoolSettings> pools, Map<String, Integer> keyLines) {

    public ProxyConfig {
        pools = List.copyOf(pools);
        keyLines = Map.copyOf(keyLines);
    }

    /** Line of {@code key} in {@code section}, or 0 when the key was not in the file. */
    public int lineOf(String section, String key) {
        return keyLines.getOrDefault(section + "." + key, 0);
    }
}
