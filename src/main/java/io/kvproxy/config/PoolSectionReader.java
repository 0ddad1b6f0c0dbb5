package io.kvproxy.config;

import io.kvproxy.spi.ExtensionSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a pool section (one with an {@code extension} key) in two steps: first its own keys and which
 * cluster sections it names, so the loader knows which sections are clusters in use; then, once those
 * clusters are read, the {@link PoolSettings}.
 */
final class PoolSectionReader {

    static final String EXTENSION_KEY = "extension";

    /** The core's keys of a pool section; every other key is the extension's to check ({@link ExtensionCheck}). */
    private static final Set<String> KEYS = Set.of(
            EXTENSION_KEY, "listen", "hosts", "hosts_backup", "hosts_read", "sync_str", "hash", "distribution", "hash_tag");
    /** twemproxy's twelve hash functions, by its names. */
    private static final List<String> HASHES = List.of("one_at_a_time", "md5", "crc16", "crc32", "crc32a",
            "fnv1_64", "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins");
    private static final List<String> DISTRIBUTIONS = List.of("ketama", "modula", "random", "kvproxy");

    private final String name;
    private final String jar;
    private final int extensionLine;
    private final String listenHost;
    private final int listenPort;
    private final Optional<String> hosts;
    private final Optional<String> hostsBackup;
    private final Optional<String> hostsRead;
    private final String syncPrefix;
    /** The keys the core does not know, with their lines, for the extension. */
    private final List<IniFile.Entry> extensionEntries;
    /** The {@code extension} value is a jar file name, so the extension can be asked about its keys. */
    private final boolean jarNamed;
    private final String hash;
    private final String distribution;
    private final Optional<String> hashTag;

    /**
     * Reads and checks the section's own keys, reporting every problem.
     *
     * @param clusterSections names of the sections that can be clusters: neither {@code [kvproxy]} nor
     *     a pool section
     * @param proxy the {@code [kvproxy]} section, whose {@code bind} and {@code port} a pool without
     *     {@code listen} takes
     */
    PoolSectionReader(IniFile.Section section, Set<String> clusterSections, ProxySettings proxy, Problems problems) {
        SectionReader values = new SectionReader(section, KEYS, true, problems);
        name = section.name();
        jar = values.string(EXTENSION_KEY, "");
        extensionLine = values.lineOf(EXTENSION_KEY);
        extensionEntries = values.otherEntries();
        if (!jar.endsWith(".jar") || jar.length() == ".jar".length()) {
            values.problem(EXTENSION_KEY, "expected a jar file name ending in .jar, got \"" + jar + "\"");
            jarNamed = false;
        } else if (jar.contains("/") || jar.contains("\\")) {
            values.problem(EXTENSION_KEY, "expected a file name in ext_path, not a path: \"" + jar + "\"");
            jarNamed = false;
        } else {
            jarNamed = true;
        }
        Optional<String> listen = values.text("listen");
        String host = proxy.bind();
        int port = proxy.port();
        if (listen.isPresent()) {
            int colon = listen.get().lastIndexOf(':');
            String portText = listen.get().substring(colon + 1);
            String hostText = colon < 0 ? proxy.bind() : unbracketed(listen.get().substring(0, colon));
            int parsed = portText.matches("[0-9]{1,5}") ? Integer.parseInt(portText) : 0;
            if (parsed < 1 || parsed > 65535) {
                values.problem("listen", "expected [host:]port with a port in 1..65535, got \"" + listen.get() + "\"");
            } else if (colon >= 0 && !HostSyntax.isIpv4OrHostName(hostText) && !HostSyntax.isIpv6Literal(hostText)) {
                values.problem("listen", "expected [host:]port with an IP address or host name, got \"" + listen.get() + "\"");
            } else {
                host = hostText;
                port = parsed;
            }
        }
        listenHost = host;
        listenPort = port;
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
        hash = values.choice("hash", "md5", HASHES);
        distribution = values.choice("distribution", "ketama", DISTRIBUTIONS);
        hashTag = values.text("hash_tag");
        // Tags are matched against key bytes, so each must be one byte: two ASCII characters.
        if (hashTag.isPresent() && (hashTag.get().length() != 2 || hashTag.get().chars().anyMatch(c -> c > 0x7e || c < 0x21))) {
            values.problem("hash_tag", "expected two ASCII characters (begin and end, e.g. {}), got \"" + hashTag.get() + "\"");
        }
    }

    /**
     * Has the extension check the keys the core does not know, reporting what it refuses on their lines,
     * or, when the jar cannot be used, that on the {@code extension} line. Nothing to ask when the jar
     * name itself was refused.
     */
    void checkExtensionKeys(Path extPath, ExtensionCheck check, Problems problems) {
        if (!jarNamed) {
            return;
        }
        ExtensionSettings settings = extensionSettings();
        try {
            check.check(extPath.resolve(jar), name, settings);
        } catch (ExtensionCheck.UnusableExtensionException e) {
            problems.add(extensionLine, name, EXTENSION_KEY, e.getMessage());
            return;
        }
        for (ExtensionSettings.Problem problem : settings.problems()) {
            problems.add(problem.line(), name, problem.key(), problem.message());
        }
    }

    private ExtensionSettings extensionSettings() {
        List<ExtensionSettings.Setting> settings = new ArrayList<>(extensionEntries.size());
        for (IniFile.Entry entry : extensionEntries) {
            settings.add(new ExtensionSettings.Setting(entry.key(), entry.value(), entry.line()));
        }
        return new ExtensionSettings(settings);
    }

    /** The keys the core does not know, by key, as {@link PoolSettings#protocolSettings} holds them. */
    private Map<String, String> extensionKeys() {
        Map<String, String> keys = new LinkedHashMap<>();
        extensionEntries.forEach(entry -> keys.put(entry.key(), entry.value()));
        return keys;
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
    PoolSettings settings(Map<String, ClusterSpec> clusters) {
        return new PoolSettings(name, jar, listenHost, listenPort, clusters.get(hosts.orElseThrow()),
                hostsBackup.map(clusters::get), hostsRead.map(clusters::get), syncPrefix, hash, distribution,
                hashTag, extensionKeys());
    }

    /** Where the listener of a pool without {@code listen} binds, or that {@code listen} names. */
    String listenAddress() {
        return listenHost + ":" + listenPort;
    }

    String name() {
        return name;
    }

    private static String unbracketed(String host) {
        return host.length() >= 2 && host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
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
