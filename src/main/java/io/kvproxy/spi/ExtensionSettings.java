package io.kvproxy.spi;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The keys of a pool section that the core does not know, handed to the pool's extension to check and
 * use ({@link ProtocolProvider#validate}, {@link ProtocolProvider#create}). Each key keeps its line, so a
 * problem the extension finds is reported like the core's own: file, line, section and key, together with
 * every other problem of the file.
 *
 * <p>Owner: the thread reading the configuration (the starting thread, or the control thread on a
 * reload); not thread-safe.
 */
public final class ExtensionSettings {

    /** One key of the section, its value as written (unquoted, trimmed), and its 1-based line (0: not from a file). */
    public record Setting(String key, String value, int line) {
        public Setting {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /** A key the extension refused, on its line, with why. */
    public record Problem(String key, int line, String message) {
    }

    private final List<Setting> settings;
    private final List<Problem> problems = new ArrayList<>();

    /** @param settings the keys, at most one of each (the core reports duplicates itself) */
    public ExtensionSettings(List<Setting> settings) {
        this.settings = List.copyOf(settings);
    }

    /** Every key, in file order. */
    public List<Setting> all() {
        return settings;
    }

    /** The value of {@code key}, or {@code defaultValue} when the section does not hold it. */
    public String value(String key, String defaultValue) {
        for (Setting setting : settings) {
            if (setting.key().equals(key)) {
                return setting.value();
            }
        }
        return defaultValue;
    }

    /** Reports a problem with {@code key}, on its line; report every problem, not only the first. */
    public void refuse(String key, String message) {
        int line = 0;
        for (Setting setting : settings) {
            if (setting.key().equals(key)) {
                line = setting.line();
                break;
            }
        }
        problems.add(new Problem(key, line, message));
    }

    /** What {@link #refuse} was told, in the order it was told. */
    public List<Problem> problems() {
        return List.copyOf(problems);
    }
}
