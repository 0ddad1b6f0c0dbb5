package io.kvproxy.config;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ini4j.Config;
import org.ini4j.InvalidFileFormatException;
import org.ini4j.spi.IniHandler;
import org.ini4j.spi.IniParser;

/**
 * The config file as sections of {@code key = value} entries, each with its line number; values are
 * unquoted. Knows INI syntax only, nothing of what the keys mean.
 *
 * <p>Why a line scanner in front of ini4j: ini4j gives no line numbers, takes {@code :} as an operator
 * just like {@code =} (it would split {@code 127.0.0.1:11211 = "1:50"} at the first colon), and takes a
 * line that starts with {@code [} for a section header (which {@code [::1]:11211 = "1:1"} is not). So
 * every line is classified here first, with {@code =} as the only operator and {@code ;} or {@code #} as
 * the first character of a comment line (there are no inline comments, as in the original kvproxy).
 * ini4j then parses a rewritten text: keys and section names escaped so that it reads them as written,
 * lines with a problem blanked so that it can still parse the rest. Its options arrive in file order and
 * are matched back to the scanned lines, which carry the line numbers.
 */
final class IniFile {

    /**
     * One {@code key = value} line.
     *
     * @param value unquoted value
     * @param malformed the value could not be read (unbalanced quotes) and that was already reported:
     *     readers treat the key as present and report nothing more about it
     */
    record Entry(String key, String value, int line, boolean malformed) {
    }

    /** A section and its entries in file order (duplicates included: readers decide what they mean). */
    record Section(String name, int line, List<Entry> entries) {

        Section {
            entries = List.copyOf(entries);
        }
    }

    /** A section as the scanner saw it, before ini4j supplies the values. */
    private record ScannedSection(String name, int line, List<Integer> keyLines, List<String> keys) {
    }

    private static final Pattern INI4J_LINE = Pattern.compile("at line: (\\d+)");

    private IniFile() {
    }

    /**
     * Reads and parses {@code file}. Syntax problems are added to {@code problems} and the rest of the file
     * is still read; a file that cannot be read at all is reported and thrown at once.
     */
    static List<Section> read(Path file, Problems problems) throws ConfigException {
        String text = readText(file, problems);
        List<ScannedSection> scanned = new ArrayList<>();
        String rewritten = scan(text, scanned, problems);
        return parseWithIni4j(rewritten, scanned, problems);
    }

    private static String readText(Path file, Problems problems) throws ConfigException {
        try {
            String text = Files.readString(file);
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (NoSuchFileException e) {
            problems.add(0, null, null, "cannot read config file: no such file");
        } catch (AccessDeniedException e) {
            problems.add(0, null, null, "cannot read config file: permission denied");
        } catch (MalformedInputException e) {
            problems.add(0, null, null, "cannot read config file: not UTF-8 text");
        } catch (IOException e) {
            problems.add(0, null, null, "cannot read config file: " + (e.getMessage() == null ? e : e.getMessage()));
        }
        throw problems.exception();
    }

    /**
     * Classifies every line, reports the malformed ones, and returns the text ini4j is given: one line per
     * input line, so that ini4j's own line numbers (in its rare errors) stay right.
     */
    private static String scan(String text, List<ScannedSection> sections, Problems problems) {
        LineScanner scanner = new LineScanner(sections, problems);
        StringBuilder rewritten = new StringBuilder(text.length() + 64);
        int lineNumber = 0;
        for (String line : (Iterable<String>) text.lines()::iterator) {
            rewritten.append(scanner.rewrite(++lineNumber, line.trim())).append('\n'); // String.trim, as ini4j trims
        }
        return rewritten.toString();
    }

    /** Walks the lines in order, tracking the section they are in. */
    private static final class LineScanner {
        private final List<ScannedSection> sections;
        private final Problems problems;
        private final Map<String, Integer> sectionLines = new HashMap<>();
        private ScannedSection current;
        /** Inside a section whose header was reported: its keys would only add noise. */
        private boolean skipping;

        LineScanner(List<ScannedSection> sections, Problems problems) {
            this.sections = sections;
            this.problems = problems;
        }

        /** The line as ini4j should see it; blank for comments and for lines with a problem. */
        String rewrite(int number, String line) {
            if (line.isEmpty() || line.charAt(0) == ';' || line.charAt(0) == '#') {
                return "";
            }
            if (line.length() >= 2 && line.charAt(0) == '[' && line.charAt(line.length() - 1) == ']') {
                return header(number, line.substring(1, line.length() - 1).trim());
            }
            int operator = line.indexOf('=');
            if (operator < 0) {
                if (line.charAt(0) == '[') {
                    problems.add(number, null, null, "malformed section header, expected [name]: " + line);
                    current = null;
                    skipping = true;
                } else if (!skipping) {
                    problems.add(number, current == null ? null : current.name(), null, "expected key = value, got: " + line);
                }
                return "";
            }
            String key = line.substring(0, operator).trim();
            if (skipping) {
                return "";
            } else if (current == null) {
                problems.add(number, null, key, "key outside any section");
                return "";
            } else if (key.isEmpty()) {
                problems.add(number, current.name(), null, "missing key before '='");
                return "";
            }
            current.keyLines().add(number);
            current.keys().add(key);
            return escapeForIni4j(key, true) + " = " + line.substring(operator + 1);
        }

        private String header(int number, String name) {
            Integer first = sectionLines.putIfAbsent(name, number);
            current = null;
            skipping = true;
            if (name.isEmpty()) {
                problems.add(number, null, null, "empty section name");
                return "";
            } else if (first != null) {
                problems.add(number, name, null, "duplicate section, first at line " + first);
                return "";
            }
            current = new ScannedSection(name, number, new ArrayList<>(), new ArrayList<>());
            sections.add(current);
            skipping = false;
            return "[" + escapeForIni4j(name, false) + "]";
        }
    }

    /**
     * Escapes a key or section name so that ini4j's unescaping gives it back unchanged: backslashes,
     * colons (else an operator) and, for keys, a leading {@code [} (else a section header).
     */
    private static String escapeForIni4j(String name, boolean key) {
        StringBuilder escaped = new StringBuilder(name.length() + 8);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\' || c == ':' || (key && i == 0 && c == '[')) {
                escaped.append('\\');
            }
            escaped.append(c);
        }
        return escaped.toString();
    }

    private static List<Section> parseWithIni4j(String rewritten, List<ScannedSection> scanned, Problems problems) {
        Config config = new Config();
        config.setEscape(true); // needed for the escaped ':' in keys ...
        config.setEscapeKeyOnly(true); // ... but values are kept as written (paths may hold backslashes)
        config.setEscapeNewline(false); // no continuation lines: one line, one entry, one line number
        config.setInclude(false);
        config.setEmptyOption(false);
        config.setGlobalSection(false);
        config.setUnnamedSection(false);
        config.setLowerCaseOption(false);
        config.setLowerCaseSection(false);
        SectionCollector collector = new SectionCollector();
        try {
            IniParser.newInstance(config).parse(new StringReader(rewritten), collector);
        } catch (InvalidFileFormatException e) {
            Matcher at = INI4J_LINE.matcher(String.valueOf(e.getMessage()));
            problems.add(at.find() ? Integer.parseInt(at.group(1)) : 0, null, null, "cannot parse: " + e.getMessage());
            return List.of();
        } catch (IOException e) {
            throw new IllegalStateException("reading a String cannot fail", e);
        }
        return attachLines(collector.sections, scanned, problems);
    }

    /** Pairs ini4j's sections and options with the scanned ones, which hold the line numbers. */
    private static List<Section> attachLines(List<ParsedSection> parsed, List<ScannedSection> scanned, Problems problems) {
        if (parsed.size() != scanned.size()) {
            throw new IllegalStateException("ini4j found " + parsed.size() + " sections, the scanner " + scanned.size());
        }
        List<Section> sections = new ArrayList<>(parsed.size());
        for (int s = 0; s < parsed.size(); s++) {
            ParsedSection options = parsed.get(s);
            ScannedSection lines = scanned.get(s);
            if (!options.name.equals(lines.name()) || !options.keys.equals(lines.keys())) {
                throw new IllegalStateException("ini4j read section [" + lines.name() + "] at line " + lines.line()
                        + " as [" + options.name + "] " + options.keys + ", the scanner as " + lines.keys());
            }
            List<Entry> entries = new ArrayList<>(options.keys.size());
            for (int i = 0; i < options.keys.size(); i++) {
                entries.add(unquoted(lines.name(), options.keys.get(i), options.values.get(i), lines.keyLines().get(i), problems));
            }
            sections.add(new Section(lines.name(), lines.line(), entries));
        }
        return sections;
    }

    /** {@code "1:50"} gives {@code 1:50}; quotes keep spaces and make an empty value explicit. */
    private static Entry unquoted(String section, String key, String value, int line, Problems problems) {
        boolean opens = value.startsWith("\"");
        boolean closes = value.length() >= 2 && value.endsWith("\"");
        if (opens && closes) {
            return new Entry(key, value.substring(1, value.length() - 1), line, false);
        }
        if (opens || value.endsWith("\"")) {
            problems.add(line, section, key, "unbalanced quotes in " + value);
            return new Entry(key, value, line, true);
        }
        return new Entry(key, value, line, false);
    }

    private static final class ParsedSection {
        final String name;
        final List<String> keys = new ArrayList<>();
        final List<String> values = new ArrayList<>();

        ParsedSection(String name) {
            this.name = name;
        }
    }

    /** Receives ini4j's parse events in file order; unlike ini4j's Ini it keeps duplicate keys and order. */
    private static final class SectionCollector implements IniHandler {
        final List<ParsedSection> sections = new ArrayList<>();

        @Override
        public void startIni() {
        }

        @Override
        public void endIni() {
        }

        @Override
        public void startSection(String sectionName) {
            sections.add(new ParsedSection(sectionName));
        }

        @Override
        public void endSection() {
        }

        @Override
        public void handleComment(String comment) {
            // comments are only for the reader of the file
        }

        @Override
        public void handleOption(String optionName, String optionValue) {
            ParsedSection section = sections.get(sections.size() - 1);
            section.keys.add(optionName);
            section.values.add(optionValue);
        }
    }
}
