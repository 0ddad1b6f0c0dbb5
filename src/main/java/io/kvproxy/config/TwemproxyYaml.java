package io.kvproxy.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the YAML that twemproxy (nutcracker) accepts: one document whose top level maps pool names to
 * maps of {@code directive: value}, where only {@code servers} holds a list of scalars. That is the
 * whole language twemproxy's {@code conf_validate_structure} lets through (no flow collections, no
 * anchors, aliases or tags, depth at most 2), so a line reader covers it: no YAML library.
 *
 * <p>Handled: {@code #} comments (at the start or after a space, outside quotes), single- and
 * double-quoted scalars with their escapes, {@code ---} and {@code ...} markers, a servers list
 * indented under its key or level with it. Everything else is reported as a problem, with its line,
 * and reading goes on so that all of them are reported at once.
 *
 * <p>What the values mean is {@link TwemproxyImport}'s business; this class checks only shape.
 */
final class TwemproxyYaml {

    /** A scalar as written (quotes removed, escapes applied) and its line. */
    record Scalar(String value, int line) {
    }

    /**
     * One pool.
     *
     * @param directives every directive but {@code servers}, in file order; duplicates were reported
     * @param servers the {@code servers} list items, in file order
     * @param serversLine line of the {@code servers:} key, 0 when missing
     */
    record Pool(String name, int line, Map<String, Scalar> directives, List<Scalar> servers, int serversLine) {

        Pool {
            directives = Collections.unmodifiableMap(new LinkedHashMap<>(directives));
            servers = List.copyOf(servers);
        }
    }

    /** A shape problem: the line (1-based) and what is wrong there. */
    record Problem(int line, String pool, String directive, String message) {
    }

    static final String SERVERS = "servers";

    private final List<Problem> problems = new ArrayList<>();
    private final List<Pool> pools = new ArrayList<>();
    private final Map<String, Integer> poolLines = new LinkedHashMap<>();

    // The pool being read.
    private String poolName;
    private int poolLine;
    private Map<String, Scalar> directives;
    private Map<String, Integer> directiveLines;
    private List<Scalar> servers;
    private int serversLine;
    /** Indentation of this pool's directives, -1 until its first directive. */
    private int directiveIndent;
    /** The directive whose value is still to come as a list (an empty {@code key:}), or null. */
    private String openDirective;
    private int openDirectiveLine;
    /** Indentation of the open list's items, -1 until its first item. */
    private int itemIndent;

    private boolean sawContent;
    private boolean documentEnded;

    private TwemproxyYaml() {
    }

    /** The pools of {@code text}, in file order; every shape problem is added to {@code problems}. */
    static List<Pool> read(String text, List<Problem> problems) {
        TwemproxyYaml reader = new TwemproxyYaml();
        String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
        int number = 0;
        for (String line : (Iterable<String>) body.lines()::iterator) {
            reader.line(++number, line);
        }
        reader.endPool();
        if (reader.pools.isEmpty() && reader.problems.isEmpty()) {
            reader.problems.add(new Problem(0, null, null, "no pools: expected \"name:\" lines, each followed by indented directives"));
        }
        problems.addAll(reader.problems);
        return List.copyOf(reader.pools);
    }

    private void line(int number, String raw) {
        String line = withoutComment(raw).stripTrailing();
        if (line.isBlank()) {
            return;
        }
        int indent = 0;
        while (indent < line.length() && line.charAt(indent) == ' ') {
            indent++;
        }
        if (line.charAt(indent) == '\t') {
            problem(number, null, "a tab in the indentation: YAML indents with spaces only");
            return;
        }
        String content = line.substring(indent);
        if (indent == 0 && (content.equals("---") || content.startsWith("--- "))) {
            if (sawContent) {
                problem(number, null, "a second YAML document: twemproxy reads exactly one");
            }
            return;
        }
        if (indent == 0 && content.equals("...")) {
            documentEnded = true;
            return;
        }
        if (indent == 0 && content.startsWith("%")) {
            problem(number, null, "YAML directives (" + content + ") are not part of twemproxy's configuration");
            return;
        }
        if (documentEnded) {
            problem(number, null, "content after the end of the document (...)");
            return;
        }
        sawContent = true;
        if (content.equals("-") || content.startsWith("- ")) {
            listItem(number, indent, content.substring(1).strip());
        } else if (indent == 0) {
            poolHeader(number, content);
        } else {
            directive(number, indent, content);
        }
    }

    private void poolHeader(int number, String content) {
        endPool();
        String[] keyAndValue = keyAndValue(number, content);
        if (keyAndValue == null) {
            return;
        }
        if (!keyAndValue[1].isEmpty()) {
            problems.add(new Problem(number, keyAndValue[0], null, "a pool is a name followed by indented directives, not a value"));
            return;
        }
        Integer first = poolLines.putIfAbsent(keyAndValue[0], number);
        if (first != null) {
            problem(number, null, "pool \"" + keyAndValue[0] + "\" defined twice, first at line " + first);
            return;
        }
        poolName = keyAndValue[0];
        poolLine = number;
        directives = new LinkedHashMap<>();
        directiveLines = new LinkedHashMap<>();
        servers = new ArrayList<>();
        serversLine = 0;
        directiveIndent = -1;
    }

    private void directive(int number, int indent, String content) {
        if (poolName == null) {
            problem(number, null, "an indented line outside any pool");
            return;
        }
        if (directiveIndent < 0) {
            directiveIndent = indent;
        } else if (indent != directiveIndent) {
            problem(number, null, indent > directiveIndent
                    ? "nested deeper than a directive: twemproxy allows only pool -> directive: value"
                    : "indented less than the pool's other directives");
            return;
        }
        closeList();
        String[] keyAndValue = keyAndValue(number, content);
        if (keyAndValue == null) {
            return;
        }
        String key = keyAndValue[0];
        String rawValue = keyAndValue[1];
        Integer first = directiveLines.putIfAbsent(key, number);
        if (first != null) {
            problems.add(new Problem(number, poolName, key, "duplicate directive, first at line " + first));
            return;
        }
        if (rawValue.isEmpty()) {
            openDirective = key;
            openDirectiveLine = number;
            itemIndent = -1;
            if (key.equals(SERVERS)) {
                serversLine = number;
            }
            return;
        }
        String value = scalar(number, key, rawValue);
        if (value == null) {
            return;
        }
        if (key.equals(SERVERS)) {
            serversLine = number;
            problems.add(new Problem(number, poolName, key, "expected a list of \"- host:port:weight [name]\" lines"));
        } else {
            directives.put(key, new Scalar(value, number));
        }
    }

    private void listItem(int number, int indent, String rawValue) {
        if (openDirective == null || indent < directiveIndent || (itemIndent >= 0 && indent != itemIndent)) {
            problem(number, null, "a list item that belongs to no directive: only servers: takes a list");
            return;
        }
        itemIndent = indent;
        if (!openDirective.equals(SERVERS)) {
            problems.add(new Problem(number, poolName, openDirective, "only servers: takes a list"));
            return;
        }
        if (rawValue.isEmpty() || rawValue.equals("-") || rawValue.startsWith("- ")) {
            problems.add(new Problem(number, poolName, SERVERS, "expected \"- host:port:weight [name]\""));
            return;
        }
        String value = scalar(number, SERVERS, rawValue);
        if (value != null) {
            servers.add(new Scalar(value, number));
        }
    }

    /** A directive left open ({@code key:} with no value) must have got its list by now. */
    private void closeList() {
        if (openDirective != null && itemIndent < 0 && !openDirective.equals(SERVERS)) {
            problems.add(new Problem(openDirectiveLine, poolName, openDirective, "has no value"));
        }
        openDirective = null;
    }

    private void endPool() {
        closeList();
        if (poolName != null) {
            if (directiveIndent < 0) {
                problems.add(new Problem(poolLine, poolName, null, "a pool without directives"));
            }
            pools.add(new Pool(poolName, poolLine, directives, servers, serversLine));
        }
        poolName = null;
    }

    /** {@code [key, raw value]} of a {@code key: value} line, or null after reporting its problem. */
    private String[] keyAndValue(int number, String content) {
        String key;
        int rest;
        if (content.charAt(0) == '"' || content.charAt(0) == '\'') {
            int close = closingQuote(content);
            if (close < 0) {
                problem(number, null, "unterminated quoted key");
                return null;
            }
            key = scalar(number, null, content.substring(0, close + 1));
            rest = close + 1;
            while (rest < content.length() && content.charAt(rest) == ' ') {
                rest++;
            }
            if (key == null || rest >= content.length() || content.charAt(rest) != ':') {
                if (key != null) {
                    problem(number, null, "expected \"key: value\", got: " + content);
                }
                return null;
            }
        } else {
            int separator = content.indexOf(": ");
            rest = separator >= 0 ? separator : content.endsWith(":") ? content.length() - 1 : -1;
            if (rest < 0) {
                problem(number, null, "expected \"key: value\", got: " + content);
                return null;
            }
            key = content.substring(0, rest).strip();
        }
        if (key.isEmpty()) {
            problem(number, null, "an empty key");
            return null;
        }
        return new String[] {key, content.substring(rest + 1).strip()};
    }

    /** The value of a scalar as written in the file, or null after reporting why it cannot be read. */
    private String scalar(int number, String key, String raw) {
        char first = raw.charAt(0);
        if (first == '"' || first == '\'') {
            int close = closingQuote(raw);
            if (close < 0) {
                problems.add(new Problem(number, poolName, key, "unterminated quoted value: " + raw));
                return null;
            }
            if (close != raw.length() - 1) {
                problems.add(new Problem(number, poolName, key, "text after the closing quote: " + raw));
                return null;
            }
            return first == '\'' ? raw.substring(1, close).replace("''", "'") : unescape(number, key, raw.substring(1, close));
        }
        if ("[{".indexOf(first) >= 0) {
            problems.add(new Problem(number, poolName, key, "a YAML flow collection (" + raw
                    + "), which twemproxy rejects; quote the value if it is a string"));
            return null;
        }
        if ("&*!|>@`%".indexOf(first) >= 0) {
            problems.add(new Problem(number, poolName, key, "anchors, aliases, tags and block scalars are not part of "
                    + "twemproxy's configuration; quote the value if it is a string: " + raw));
            return null;
        }
        if (raw.contains(": ")) {
            problems.add(new Problem(number, poolName, key, "a plain value may not contain \": \"; quote it: " + raw));
            return null;
        }
        return raw;
    }

    /** Index of the quote that closes the one at index 0, or -1. */
    private static int closingQuote(String text) {
        char quote = text.charAt(0);
        for (int i = 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote == '"' && c == '\\') {
                i++;
            } else if (c == quote) {
                if (quote == '\'' && i + 1 < text.length() && text.charAt(i + 1) == '\'') {
                    i++; // '' is an escaped quote
                } else {
                    return i;
                }
            }
        }
        return -1;
    }

    private String unescape(int number, String key, String body) {
        StringBuilder value = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != '\\') {
                value.append(c);
                continue;
            }
            char escaped = ++i < body.length() ? body.charAt(i) : '?';
            int hexDigits = escaped == 'x' ? 2 : escaped == 'u' ? 4 : 0;
            if (hexDigits > 0) {
                String hex = i + hexDigits < body.length() ? body.substring(i + 1, i + 1 + hexDigits) : "";
                if (!hex.matches("[0-9A-Fa-f]+")) {
                    problems.add(new Problem(number, poolName, key, "bad \\" + escaped + " escape in a quoted value"));
                    return null;
                }
                value.append((char) Integer.parseInt(hex, 16));
                i += hexDigits;
                continue;
            }
            switch (escaped) {
                case '"', '\\', '/', ' ' -> value.append(escaped);
                case 'n' -> value.append('\n');
                case 't' -> value.append('\t');
                case 'r' -> value.append('\r');
                case '0' -> value.append('\0');
                default -> {
                    problems.add(new Problem(number, poolName, key, "unknown escape \\" + escaped + " in a quoted value"));
                    return null;
                }
            }
        }
        return value.toString();
    }

    /** The line without its comment: {@code #} at the start or after a blank, outside quotes. */
    private static String withoutComment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (quote == '"' && c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '#' && (i == 0 || line.charAt(i - 1) == ' ' || line.charAt(i - 1) == '\t')) {
                return line.substring(0, i);
            } else if ((c == '"' || c == '\'') && (i == 0 || " \t:-".indexOf(line.charAt(i - 1)) >= 0)) {
                quote = c;
            }
        }
        return line;
    }

    private void problem(int number, String directive, String message) {
        problems.add(new Problem(number, poolName, directive, message));
    }
}
