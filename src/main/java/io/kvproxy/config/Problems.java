package io.kvproxy.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Collects the problems of one config file while it is read, so that all of them are reported at once.
 * Shown in line order (problems without a line, such as a missing key, last) whatever order the checks
 * ran in, so the report reads top to bottom like the file.
 */
final class Problems {

    private record Problem(int line, String text) {
    }

    private final Path file;
    private final List<Problem> found = new ArrayList<>();

    Problems(Path file) {
        this.file = file;
    }

    /** See {@link ConfigException#problem} for how line, section and key are shown or omitted. */
    void add(int line, String section, String key, String message) {
        found.add(new Problem(line, ConfigException.problem(file, line, section, key, message)));
    }

    boolean isEmpty() {
        return found.isEmpty();
    }

    /** The exception to throw: call only when there is at least one problem. */
    ConfigException exception() {
        List<String> texts = found.stream()
                .sorted(Comparator.comparingInt((Problem problem) -> problem.line() > 0 ? problem.line() : Integer.MAX_VALUE))
                .map(Problem::text)
                .toList();
        return new ConfigException(texts);
    }

    void throwIfAny() throws ConfigException {
        if (!found.isEmpty()) {
            throw exception();
        }
    }
}
