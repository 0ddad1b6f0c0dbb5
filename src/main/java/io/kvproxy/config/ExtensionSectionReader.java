package io.kvproxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads an extension section (the one with an {@code extension} key, named after its protocol) in two
 * steps: first its own keys and which cluster sections it names, so the loader knows which sections are
 * clusters in use; then, once those clusters are read, the {@link ExtensionSettings}.
 */
final class ExtensionSectionReader {

    static final String EXTENSION_KEY = "extension";

    private static final Set<String> KEYS = Set.of(
            EXTENSION_KEY, "hosts", "hosts_backup", "hosts_read", "sync_str", "proto", "hash", "distribution", "hash_tag");
    private static final List<String> PROTOCOLS = List.of("auto", "text", "binary");
    /** twemproxy's twelve hash functions, by its names. */
    private static final List<String> HASHES = List.of("one_at_a_time", "md5", "crc16", "crc32", "crc32a",
            "fnv1_64", "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins");
    private static final List<String> DISTRIBUTIONS = List.of("ketama", "modula", "random", "kvproxy");

    private final String protocol;
    private final String jar;
    private final Optional<String> hosts;
    private final Optional<String> hostsBackup;
    private final Optional<String> hostsRead;
    private final String syncPrefix;
    private final String proto;
    private final String hash;
    private final String distribution;
    private final Optional<String> hashTag;

    /**
     * Reads and checks the section's own keys, reporting every problem.
     *
     * @param clusterSections names of the sections that can be clusters: neither {@code [kvproxy]} nor
     *     an extension section
     */
    ExtensionSectionReader(IniFile.Section section, Set<String> clusterSections, Problems problems) {
        SectionReader values = new SectionReader(section, KEYS, problems);
        protocol = section.name();
        jar = values.string(EXTENSION_KEY, "");
        if (!jar.endsWith(".jar") || jar.length() == ".jar".length()) {
            values.problem(EXTENSION_KEY, "expected a jar file name ending in .jar, got \"" + jar + "\"");
        } else if (jar.contains("/") || jar.contains("\\")) {
            values.problem(EXTENSION_KEY, "expected a file name in ext_path, not a path: \"" + jar + "\"");
        }
        hosts = cluster(values, values.required("hosts"), "hosts", clusterSections);
        hostsBackup = cluster(values, values.text("hosts_backup"), "hosts_backup", clusterSections);
        hostsRead = cluster(values, values.text("hosts_read"), "hosts_read", clusterSections);
        for (String key : List.of("hosts_backup", "hosts_read")) {
            Optional<String> other = values.text(key);
            if (other.isPresent() && other.equals(values.text("hosts"))) {
                values.problem(key, "must name another cluster than hosts (\"" + other.get() + "\")");
            }
        }
        syncPrefix = values.string("sync_str", "");
        proto = values.choice("proto", "auto", PROTOCOLS);
        hash = values.choice("hash", "md5", HASHES);
        distribution = values.choice("distribution", "ketama", DISTRIBUTIONS);
        hashTag = values.text("hash_tag");
        // Tags are matched against key bytes, so each must be one byte: two ASCII characters.
        if (hashTag.isPresent() && (hashTag.get().length() != 2 || hashTag.get().chars().anyMatch(c -> c > 0x7e || c < 0x21))) {
            values.problem("hash_tag", "expected two ASCII characters (begin and end, e.g. {}), got \"" + hashTag.get() + "\"");
        }
    }

    /** The cluster sections this section names, for the loader's check that every cluster is used. */
    List<String> clusterNames() {
        List<String> names = new ArrayList<>(3);
        hosts.ifPresent(names::add);
        hostsBackup.ifPresent(names::add);
        hostsRead.ifPresent(names::add);
        return names;
    }

    /**
     * The settings, once the clusters are read. Call only when no problem was found, so every named
     * cluster is in {@code clusters}.
     */
    ExtensionSettings settings(Map<String, ClusterSpec> clusters) {
        return new ExtensionSettings(protocol, jar, clusters.get(hosts.orElseThrow()),
                hostsBackup.map(clusters::get), hostsRead.map(clusters::get), syncPrefix, hash, distribution,
                hashTag, Map.of("proto", proto));
    }

    /** A cluster reference, empty (after reporting) when no cluster section has that name. */
    private static Optional<String> cluster(SectionReader values, Optional<String> name, String key, Set<String> clusterSections) {
        if (name.isPresent() && !clusterSections.contains(name.get())) {
            values.problem(key, "no cluster section [" + name.get() + "]");
            return Optional.empty();
        }
        return name;
    }
}
