package io.kvproxy.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Loads {@code etc/kvproxy.ini} into a {@link ProxyConfig}, or refuses it with every problem at once.
 *
 * <pre>
 *   file ──IniFile──▶ sections (entries with lines)
 *          [kvproxy]                 ──ProxySectionReader──▶ ProxySettings
 *          each section with extension= ──PoolSectionReader──▶ names hosts / hosts_backup / hosts_read;
 *                                    its other keys ──ExtensionCheck (the pool's extension)──▶ problems
 *          every other section       ──ClusterSectionReader──▶ ClusterSpec (only the named ones)
 *                                    ──▶ PoolSettings (one per pool) ──▶ ProxyConfig
 * </pre>
 *
 * Called on the starting thread before anything listens or connects, by {@code kvproxy -t}, and again for a reload.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * @param file the INI file
     * @param installRoot what relative {@code log_path} and {@code ext_path} are relative to
     * @param extensions checks each pool's keys the core does not know, by the pool's extension
     * @throws ConfigException listing every problem, each with file, line, section and key
     */
    public static ProxyConfig load(Path file, Path installRoot, ExtensionCheck extensions) throws ConfigException {
        return load(file, installRoot, extensions, Runtime.getRuntime().availableProcessors());
    }

    /** As {@link #load(Path, Path, ExtensionCheck)} with the core count given, so that tests do not depend on the machine. */
    static ProxyConfig load(Path file, Path installRoot, ExtensionCheck extensions, int availableCores) throws ConfigException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(installRoot, "installRoot");
        Problems problems = new Problems(file);
        List<IniFile.Section> sections = IniFile.read(file, problems);

        IniFile.Section proxySection = sections.stream()
                .filter(section -> section.name().equals(ProxySectionReader.SECTION))
                .findFirst()
                .orElse(new IniFile.Section(ProxySectionReader.SECTION, 0, List.of()));
        ProxySettings proxy = ProxySectionReader.read(proxySection, installRoot, availableCores, problems);

        List<IniFile.Section> poolSections = new ArrayList<>();
        Map<String, IniFile.Section> clusterSections = new LinkedHashMap<>();
        for (IniFile.Section section : sections) {
            if (section == proxySection) {
                continue;
            }
            boolean isPool = section.entries().stream()
                    .anyMatch(entry -> entry.key().equals(PoolSectionReader.EXTENSION_KEY));
            if (isPool) {
                poolSections.add(section);
            } else {
                clusterSections.put(section.name(), section);
            }
        }
        List<PoolSettings> pools = readPools(poolSections, clusterSections, proxy, extensions, problems);

        problems.throwIfAny();
        return new ProxyConfig(file, proxy, pools, keyLines(sections));
    }

    /**
     * Reads every pool section and the clusters they name; a cluster no pool names is a problem, most
     * likely a typo in a section name or in hosts, and so are two pools on one listen address. Several
     * pools may name the same cluster: each routes over it on its own. Empty when anything is wrong.
     */
    private static List<PoolSettings> readPools(List<IniFile.Section> poolSections, Map<String, IniFile.Section> clusterSections,
                                                ProxySettings proxy, ExtensionCheck extensions, Problems problems) {
        if (poolSections.isEmpty()) {
            problems.add(0, null, null, "no pool: no section with extension=... (for example [memcached] extension = memcached.jar)");
        }
        List<PoolSectionReader> readers = new ArrayList<>();
        Set<String> named = new LinkedHashSet<>();
        Map<String, PoolSectionReader> byListen = new HashMap<>();
        for (IniFile.Section section : poolSections) {
            PoolSectionReader reader = new PoolSectionReader(section, clusterSections.keySet(), proxy, problems);
            reader.checkExtensionKeys(proxy.extPath(), extensions, problems);
            readers.add(reader);
            named.addAll(reader.clusterNames());
            PoolSectionReader other = byListen.putIfAbsent(reader.listenAddress(), reader);
            if (other != null) {
                int line = section.entries().stream().filter(entry -> entry.key().equals("listen")).findFirst()
                        .map(IniFile.Entry::line).orElse(lineOfExtensionKey(section));
                problems.add(line, section.name(), "listen", "pool [" + section.name() + "] listens on " + reader.listenAddress()
                        + ", as pool [" + other.name() + "] does: give each pool its own listen = [host:]port");
            }
        }

        Map<String, ClusterSpec> clusters = new HashMap<>();
        for (IniFile.Section section : clusterSections.values()) {
            if (!named.contains(section.name())) {
                // its lines are not checked: for a misspelt [kvproxy] that would only bury this line
                problems.add(section.line(), null, null,
                        "cluster [" + section.name() + "] is not used by hosts, hosts_backup or hosts_read");
                continue;
            }
            ClusterSpec cluster = ClusterSectionReader.read(section, problems);
            if (cluster != null) {
                clusters.put(section.name(), cluster);
            }
        }
        if (!problems.isEmpty()) {
            return List.of();
        }
        return readers.stream().map(reader -> reader.settings(clusters)).toList();
    }

    private static int lineOfExtensionKey(IniFile.Section section) {
        return section.entries().stream()
                .filter(entry -> entry.key().equals(PoolSectionReader.EXTENSION_KEY))
                .findFirst()
                .orElseThrow()
                .line();
    }

    /** {@code "section.key"} → line of every key in the file (the first, for a duplicate). */
    private static Map<String, Integer> keyLines(List<IniFile.Section> sections) {
        Map<String, Integer> lines = new HashMap<>();
        for (IniFile.Section section : sections) {
            for (IniFile.Entry entry : section.entries()) {
                lines.putIfAbsent(section.name() + "." + entry.key(), entry.line());
            }
        }
        return lines;
    }
}
