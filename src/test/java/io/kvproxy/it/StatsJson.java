package io.kvproxy.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a twemproxy-style stats port: connects, takes everything up to the close, and parses it as the
 * JSON it must be: objects, strings and integers (all a stats report holds). Strict, so that a
 * malformed report fails the test rather than being read leniently.
 */
final class StatsJson {

    private final String text;
    private int at;

    private StatsJson(String text) {
        this.text = text;
    }

    /** The report the stats port on {@code port} writes, parsed: objects as maps, in their order. */
    static Map<String, Object> read(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            InputStream in = socket.getInputStream();
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    static Map<String, Object> parse(String text) {
        StatsJson parser = new StatsJson(text);
        Map<String, Object> value = parser.object();
        parser.skipSpace();
        if (parser.at != text.length()) {
            throw parser.error("text after the object");
        }
        return value;
    }

    private Map<String, Object> object() {
        expect('{');
        Map<String, Object> fields = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            at++;
            return fields;
        }
        while (true) {
            skipSpace();
            String name = string();
            skipSpace();
            expect(':');
            skipSpace();
            if (fields.put(name, value()) != null) {
                throw error("field \"" + name + "\" twice");
            }
            skipSpace();
            char next = text.charAt(at++);
            if (next == '}') {
                return fields;
            }
            if (next != ',') {
                throw error("expected , or }");
            }
        }
    }

    private Object value() {
        char c = peek();
        if (c == '{') {
            return object();
        }
        if (c == '"') {
            return string();
        }
        int start = at;
        if (c == '-') {
            at++;
        }
        while (at < text.length() && Character.isDigit(text.charAt(at))) {
            at++;
        }
        if (at == start) {
            throw error("expected a value");
        }
        return Long.parseLong(text.substring(start, at));
    }

    private String string() {
        expect('"');
        StringBuilder value = new StringBuilder();
        while (true) {
            char c = text.charAt(at++);
            if (c == '"') {
                return value.toString();
            }
            if (c == '\\') {
                char escaped = text.charAt(at++);
                if (escaped == 'u') {
                    value.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                } else {
                    value.append(escaped);
                }
            } else {
                value.append(c);
            }
        }
    }

    private char peek() {
        if (at >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(at);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected " + c);
        }
        at++;
    }

    private void skipSpace() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at " + at + " of: " + text);
    }
}
