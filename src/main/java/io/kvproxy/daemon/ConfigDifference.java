package io.kvproxy.daemon;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ExtensionSettings;
import io.kvproxy.config.ProxyConfig;
import io.kvproxy.config.ProxySettings;
import io.kvproxy.config.ServerSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What differs between two configurations, key by key, by value: line numbers and the file's name are
 * not part of a configuration, so a file that only gained a comment differs in nothing.
 *
 * @param section the section the key is in, as the file names it
 * @param key the key; for a cluster section, the server's address
 * @param before the running value, "(none)" when the key was absent
 * @param after the new value, "(none)" when the key is gone
 * @param line the key's line in the new file (0 when it is not there), for messages
 */
record ConfigDifference(String section, String key, String before, String after, int line) {

    private static final String NONE = "(none)";

    /** The {@code [kvproxy]} keys, each with how to read it from the settings. */
    private static final Map<String, Function<ProxySettings, Object>> PROXY_KEYS = orderedMap(List.of(
            Map.entry("port", ProxySettings::port),
            Map.entry("bind", ProxySettings::bind),
            Map.entry("thread_count", ProxySettings::threadCount),
            Map.entry("cpu_affinity", ProxySettings::cpuAffinity),
            Map.entry("backlog", ProxySettings::backlog),
            Map.entry("recv_timeout", ProxySettings::recvTimeoutMillis),
            Map.entry("connect_timeout", ProxySettings::connectTimeoutMillis),
            Map.entry("idle_timeout", ProxySettings::idleTimeoutSeconds),
            Map.entry("log_path", ProxySettings::logPath),
            Map.entry("log_level", ProxySettings::logLevel),
            Map.entry("ext_path", ProxySettings::extPath),
            Map.entry("max_packet", ProxySettings::maxPacketBytes),
            Map.entry("failover_threshold", ProxySettings::failoverThreshold),
            Map.entry("failover_interval", ProxySettings::failoverIntervalSeconds),
            Map.entry("async_size", ProxySettings::asyncSize),
            Map.entry("max_clients", ProxySettings::maxClients)));

    /** The extension section's own keys; the protocol's keys are compared one by one as well. */
    private static final Map<String, Function<ExtensionSettings, Object>> EXTENSION_KEYS = orderedMap(List.of(
            Map.entry("extension", ExtensionSettings::jar),
            Map.entry("hosts", extension -> extension.hosts().name()),
            Map.entry("hosts_backup", extension -> extension.hostsBackup().map(ClusterSpec::name).orElse(NONE)),
            Map.entry("hosts_read", extension -> extension.hostsRead().map(ClusterSpec::name).orElse(NONE)),
            Map.entry("sync_str", ExtensionSettings::syncPrefix),
            Map.entry("hash", ExtensionSettings::hash),
            Map.entry("distribution", ExtensionSettings::distribution),
            Map.entry("hash_tag", extension -> extension.hashTag().orElse(NONE))));

    /** {@code [section] key: before → after}. */
    String describe() {
        return "[" + section + "] " + key + ": " + before + " → " + after;
    }

    /** Every difference, {@code [kvproxy]} first, then the extension section, then the clusters. */
    static List<ConfigDifference> between(ProxyConfig running, ProxyConfig next) {
        List<ConfigDifference> differences = new ArrayList<>();
        PROXY_KEYS.forEach((key, value) -> compare(differences, next, "kvproxy", key,
                value.apply(running.proxy()), value.apply(next.proxy())));
        ExtensionSettings was = running.extension();
        ExtensionSettings now = next.extension();
        if (!was.protocol().equals(now.protocol())) {
            differences.add(new ConfigDifference(now.protocol(), "extension section", was.protocol(), now.protocol(), 0));
            return differences;
        }
        EXTENSION_KEYS.forEach((key, value) -> compare(differences, next, now.protocol(), key, value.apply(was), value.apply(now)));
        new TreeSet<>(union(was.protocolSettings().keySet(), now.protocolSettings().keySet())).forEach(key ->
                compare(differences, next, now.protocol(), key, was.protocolSettings().getOrDefault(key, NONE),
                        now.protocolSettings().getOrDefault(key, NONE)));
        Map<String, ClusterSpec> wasClusters = clusters(was);
        Map<String, ClusterSpec> nowClusters = clusters(now);
        for (String name : union(wasClusters.keySet(), nowClusters.keySet())) {
            compareCluster(differences, name, wasClusters.get(name), nowClusters.get(name));
        }
        return differences;
    }

    private static void compare(List<ConfigDifference> differences, ProxyConfig next, String section, String key,
                                Object before, Object after) {
        if (!Objects.equals(before, after)) {
            differences.add(new ConfigDifference(section, key, String.valueOf(before), String.valueOf(after),
                    next.lineOf(section, key)));
        }
    }

    /** A cluster by its servers: address, id and weight, in file order (the order places nothing, but shows). */
    private static void compareCluster(List<ConfigDifference> differences, String name, ClusterSpec was, ClusterSpec now) {
        Map<String, ServerSpec> wasServers = servers(was);
        Map<String, ServerSpec> nowServers = servers(now);
        for (String address : union(wasServers.keySet(), nowServers.keySet())) {
            ServerSpec before = wasServers.get(address);
            ServerSpec after = nowServers.get(address);
            String beforeText = before == null ? NONE : before.id() + ":" + before.weight();
            String afterText = after == null ? NONE : after.id() + ":" + after.weight();
            if (!beforeText.equals(afterText)) {
                differences.add(new ConfigDifference(name, address, beforeText, afterText, after == null ? 0 : after.line()));
            }
        }
    }

    private static Map<String, ClusterSpec> clusters(ExtensionSettings extension) {
        Map<String, ClusterSpec> clusters = new LinkedHashMap<>();
        for (Optional<ClusterSpec> cluster : List.of(Optional.of(extension.hosts()), extension.hostsBackup(), extension.hostsRead())) {
            cluster.ifPresent(spec -> clusters.putIfAbsent(spec.name(), spec));
        }
        return clusters;
    }

    private static Map<String, ServerSpec> servers(ClusterSpec cluster) {
        if (cluster == null) {
            return Map.of();
        }
        return cluster.servers().stream().collect(Collectors.toMap(ServerSpec::address, Function.identity(),
                (first, second) -> first, LinkedHashMap::new));
    }

    private static List<String> union(Collection<String> first, Collection<String> second) {
        LinkedHashSet<String> all = new LinkedHashSet<>(first);
        all.addAll(second);
        return List.copyOf(all);
    }

    private static <T> Map<String, Function<T, Object>> orderedMap(List<Map.Entry<String, Function<T, Object>>> entries) {
        Map<String, Function<T, Object>> map = new LinkedHashMap<>();
        entries.forEach(entry -> map.put(entry.getKey(), entry.getValue()));
        return Collections.unmodifiableMap(map);
    }
}
