package io.kvproxy.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A config file the daemon must refuse, with every problem found in it. The loader never stops at the
 * first problem: fixing a file one error per start is what this exists to avoid.
 *
 * <p>Each problem reads {@code FILE:LINE: [section] key: message}; see {@link #problem}.
 */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /** @param problems formatted problems, at least one, in the order they should be shown */
    public ConfigException(List<String> problems) {
        super(String.join("\n", requireSome(problems)));
        this.problems = List.copyOf(problems);
    }

    /** Every problem, one formatted line each. */
    public List<String> problems() {
        return problems;
    }

    /**
     * Formats one problem as {@code FILE:LINE: [section] key: message}. Public so that checks made after
     * loading (the extension's own settings) read exactly like the loader's.
     *
     * @param line 1-based line, or 0 or less when no line applies (a missing key): it is then omitted
     * @param section section name, or null/empty when the problem is not inside a section
     * @param key the key, or null/empty when the problem concerns a whole section or line
     */
    public static String problem(Path file, int line, String section, String key, String message) {
        StringBuilder text = new StringBuilder().append(file);
        if (line > 0) {
            text.append(':').append(line);
        }
        text.append(": ");
        if (section != null && !section.isEmpty()) {
            text.append('[').append(section).append("] ");
        }
        if (key != null && !key.isEmpty()) {
            text.append(key).append(": ");
        }
        return text.append(message).toString();
    }

    private static List<String> requireSome(List<String> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        return problems;
    }
}
