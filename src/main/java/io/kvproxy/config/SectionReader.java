package io.kvproxy.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Typed values of one settings section ({@code [kvproxy]} or the extension section). A bad value is
 * reported, on its line, and replaced by the default, so that reading goes on and every other problem
 * is found too; the config is never built while there are problems, so the stand-in is never used.
 */
final class SectionReader {

    /** Plain decimal, nothing else: "55669;x", "1.5", " 1e3" and "0x10" are all refused. */
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,18}");

    private static final List<String> TRUE_WORDS = List.of("on", "yes", "true", "1");
    private static final List<String> FALSE_WORDS = List.of("off", "no", "false", "0");

    private final String name;
    private final Problems problems;
    private final Map<String, IniFile.Entry> entries = new LinkedHashMap<>();
    /** Keys not in {@code knownKeys}, when they belong to someone else (a pool's extension). */
    private final List<IniFile.Entry> others = new ArrayList<>();

    /**
     * Reports unknown and duplicate keys at once; the first of duplicate keys is the one read.
     *
     * @param knownKeys every key the section may hold
     */
    SectionReader(IniFile.Section section, Set<String> knownKeys, Problems problems) {
        this(section, knownKeys, false, problems);
    }

    /**
     * @param keepOthers keys not in {@code knownKeys} are kept for {@link #otherEntries()} (duplicates
     *     still reported) instead of being reported as unknown
     */
    SectionReader(IniFile.Section section, Set<String> knownKeys, boolean keepOthers, Problems problems) {
        this.name = section.name();
        this.problems = problems;
        Map<String, IniFile.Entry> otherKeys = new HashMap<>();
        for (IniFile.Entry entry : section.entries()) {
            IniFile.Entry first = knownKeys.contains(entry.key()) ? entries.get(entry.key()) : otherKeys.get(entry.key());
            if (!knownKeys.contains(entry.key()) && !keepOthers) {
                problems.add(entry.line(), name, entry.key(), "unknown key");
            } else if (first != null) {
                problems.add(entry.line(), name, entry.key(), "duplicate key, first at line " + first.line());
            } else if (!knownKeys.contains(entry.key())) {
                otherKeys.put(entry.key(), entry);
                if (!entry.malformed()) {
                    others.add(entry);
                }
            } else {
                entries.put(entry.key(), entry);
            }
        }
    }

    String name() {
        return name;
    }

    /** The first of each key not in the known keys, in file order, its value readable (see the keepOthers constructor). */
    List<IniFile.Entry> otherEntries() {
        return List.copyOf(others);
    }

    /** Line of {@code key}, 0 when it is not in the section. */
    int lineOf(String key) {
        IniFile.Entry entry = entries.get(key);
        return entry == null ? 0 : entry.line();
    }

    /** Reports a problem with {@code key}, on its line when it is in the file. */
    void problem(String key, String message) {
        problems.add(lineOf(key), name, key, message);
    }

    /**
     * The value as written (unquoted), empty when the key is missing or its value could not be read. An
     * empty value counts as missing, as in the original kvproxy, so {@code hosts_backup =} turns it off.
     */
    Optional<String> text(String key) {
        IniFile.Entry entry = entries.get(key);
        if (entry == null || entry.malformed() || entry.value().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(entry.value());
    }

    /** The value as written (unquoted), even when empty; {@code defaultValue} when missing or unreadable. */
    String string(String key, String defaultValue) {
        IniFile.Entry entry = entries.get(key);
        return entry == null || entry.malformed() ? defaultValue : entry.value();
    }

    /** Like {@link #text} but a missing value is a problem ({@code required}). */
    Optional<String> required(String key) {
        Optional<String> value = text(key);
        if (value.isEmpty() && !isMalformed(key)) {
            problem(key, "required");
        }
        return value;
    }

    /** A decimal integer in {@code min..max}; {@code max} of {@link Integer#MAX_VALUE} means no bound. */
    int integer(String key, int defaultValue, int min, int max) {
        IniFile.Entry entry = entries.get(key);
        if (entry == null || entry.malformed()) {
            return defaultValue;
        }
        String value = entry.value();
        if (INTEGER.matcher(value).matches()) {
            long number = Long.parseLong(value);
            if (number >= min && number <= max) {
                return (int) number;
            }
        }
        String range = max == Integer.MAX_VALUE ? ">= " + min : "in " + min + ".." + max;
        problem(key, "expected an integer " + range + ", got \"" + value + "\"");
        return defaultValue;
    }

    boolean flag(String key, boolean defaultValue) {
        IniFile.Entry entry = entries.get(key);
        if (entry == null || entry.malformed()) {
            return defaultValue;
        }
        if (TRUE_WORDS.contains(entry.value())) {
            return true;
        }
        if (FALSE_WORDS.contains(entry.value())) {
            return false;
        }
        problem(key, "expected on or off (also yes/no, true/false, 1/0), got \"" + entry.value() + "\"");
        return defaultValue;
    }

    /** One of {@code allowed}, exactly as listed (case matters, as in the original). */
    String choice(String key, String defaultValue, List<String> allowed) {
        IniFile.Entry entry = entries.get(key);
        if (entry == null || entry.malformed()) {
            return defaultValue;
        }
        if (allowed.contains(entry.value())) {
            return entry.value();
        }
        problem(key, "expected one of " + String.join(", ", allowed) + ", got \"" + entry.value() + "\"");
        return defaultValue;
    }

    /** A path; a relative one (the default included) is taken from {@code installRoot}. */
    Path path(String key, String defaultValue, Path installRoot) {
        IniFile.Entry entry = entries.get(key);
        String value = entry == null || entry.malformed() ? defaultValue : entry.value();
        if (value.isEmpty()) {
            problem(key, "expected a path, got an empty value");
            value = defaultValue;
        }
        try {
            return installRoot.resolve(value).normalize();
        } catch (InvalidPathException e) {
            problem(key, "not a valid path: \"" + value + "\" (" + e.getReason() + ")");
            return installRoot.resolve(defaultValue).normalize();
        }
    }

    private boolean isMalformed(String key) {
        IniFile.Entry entry = entries.get(key);
        return entry != null && entry.malformed();
    }
}
