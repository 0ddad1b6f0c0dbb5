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
import java.util.stream.Collectors;

/**
 * Loads {@code etc/kvproxy.ini} into a {@link ProxyConfig}, or refuses it with every problem at once.
 *
 * <pre>
 *   file ──IniFile──▶ sections (entries with lines)
 *          [kvproxy]                 ──ProxySectionReader──────▶ ProxySettings
 *          section with extension=   ──ExtensionSectionReader──▶ names hosts / hosts_backup / hosts_read
 *          every other section       ──ClusterSectionReader────▶ ClusterSpec (only the named ones)
 *                                    ──▶ ExtensionSettings ──▶ ProxyConfig
 * </pre>
 *
 * Called once, on the starting thread, before anything listens or connects; also by {@code kvproxy -t}.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * @param file the INI file
     * @param installRoot what relative {@code log_path} and {@code ext_path} are relative to
     * @throws ConfigException listing every problem, each with file, line, section and key
     */
    public static ProxyConfig load(Path file, Path installRoot) throws ConfigException {
        return load(file, installRoot, Runtime.getRuntime().availableProcessors());
    }

    /** As {@link #load(Path, Path)} with the core count given, so that tests do not depend on the machine. */
    static ProxyConfig load(Path file, Path installRoot, int availableCores) throws ConfigException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(installRoot, "installRoot");
        Problems problems = new Problems(file);
        List<IniFile.Section> sections = IniFile.read(file, problems);

        IniFile.Section proxySection = sections.stream()
                .filter(section -> section.name().equals(ProxySectionReader.SECTION))
                .findFirst()
                .orElse(new IniFile.Section(ProxySectionReader.SECTION, 0, List.of()));
        ProxySettings proxy = ProxySectionReader.read(proxySection, installRoot, availableCores, problems);

        List<IniFile.Section> extensionSections = new ArrayList<>();
        Map<String, IniFile.Section> clusterSections = new LinkedHashMap<>();
        for (IniFile.Section section : sections) {
            if (section == proxySection) {
                continue;
            }
            boolean isExtension = section.entries().stream()
                    .anyMatch(entry -> entry.key().equals(ExtensionSectionReader.EXTENSION_KEY));
            if (isExtension) {
                extensionSections.add(section);
            } else {
                clusterSections.put(section.name(), section);
            }
        }
        ExtensionSettings extension = readExtension(extensionSections, clusterSections, problems);

        problems.throwIfAny();
        return new ProxyConfig(file, proxy, extension, keyLines(sections));
    }

    /**
     * Reads every extension section (even when there are several, which is itself a problem, so that their
     * other problems show too) and the clusters they name; a cluster no one names is a problem, most
     * likely a typo in a section name or in hosts. Null when anything is wrong.
     */
    private static ExtensionSettings readExtension(
            List<IniFile.Section> extensionSections, Map<String, IniFile.Section> clusterSections, Problems problems) {
        if (extensionSections.isEmpty()) {
            problems.add(0, null, null, "no extension section (a section with extension=...)");
        } else if (extensionSections.size() > 1) {
            String all = extensionSections.stream()
                    .map(section -> "[" + section.name() + "] at line " + section.line())
                    .collect(Collectors.joining(", "));
            for (IniFile.Section section : extensionSections) {
                problems.add(lineOfExtensionKey(section), section.name(), ExtensionSectionReader.EXTENSION_KEY,
                        "more than one extension section: " + all);
            }
        }
        List<ExtensionSectionReader> readers = new ArrayList<>();
        Set<String> named = new LinkedHashSet<>();
        for (IniFile.Section section : extensionSections) {
            ExtensionSectionReader reader = new ExtensionSectionReader(section, clusterSections.keySet(), problems);
            readers.add(reader);
            named.addAll(reader.clusterNames());
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
        return readers.size() == 1 && problems.isEmpty() ? readers.get(0).settings(clusters) : null;
    }

    private static int lineOfExtensionKey(IniFile.Section section) {
        return section.entries().stream()
                .filter(entry -> entry.key().equals(ExtensionSectionReader.EXTENSION_KEY))
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
