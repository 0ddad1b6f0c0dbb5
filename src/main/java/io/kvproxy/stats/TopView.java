package io.kvproxy.stats;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code sbin/kvproxy top}'s screen, drawn from two samples of the stats port's JSON taken a moment
 * apart: per pool and per server, requests a second, the get hit ratio, p99 latency, errors a second and
 * whether the server is in its ring. Rates are the difference of the two samples' counters over the time
 * between them; a counter that went down (the daemon restarted) reads as its new value.
 */
public final class TopView {

    private TopView() {
    }

    /**
     * The screen for {@code current}, with rates since {@code previous} (null: the first sample, no rates yet).
     *
     * @param elapsedSeconds time between the two samples
     */
    public static String render(Map<String, Object> previous, Map<String, Object> current, double elapsedSeconds) {
        StringBuilder screen = new StringBuilder(2048);
        screen.append(String.format(Locale.ROOT, "kvproxy %s on %s   up %ss   clients %s (%s since start)%n",
                current.get("version"), current.get("source"), current.get("uptime"), current.get("curr_connections"),
                current.get("total_connections")));
        screen.append(String.format(Locale.ROOT, "%n%-28s %10s %8s %10s %9s %s%n", "POOL / SERVER", "req/s", "hit%", "p99 µs",
                "err/s", "state"));
        for (Map.Entry<String, Object> entry : current.entrySet()) {
            if (!(entry.getValue() instanceof Map<?, ?> pool)) {
                continue;
            }
            Map<?, ?> before = previous == null ? null : (Map<?, ?>) previous.get(entry.getKey());
            double requests = rate(before, pool, "kvproxy_requests", elapsedSeconds);
            double hits = delta(before, pool, "kvproxy_get_hits");
            double misses = delta(before, pool, "kvproxy_get_misses");
            double errors = rate(before, pool, "forward_error", elapsedSeconds);
            screen.append(String.format(Locale.ROOT, "%-28s %10s %8s %10s %9s %s%n", entry.getKey(), number(requests),
                    hits + misses > 0 ? String.format(Locale.ROOT, "%.1f", 100 * hits / (hits + misses)) : "-", "",
                    number(errors), "generation " + pool.get("kvproxy_config_generation")));
            for (Map.Entry<?, ?> server : pool.entrySet()) {
                if (!(server.getValue() instanceof Map<?, ?> now)) {
                    continue;
                }
                Map<?, ?> was = before == null ? null : (Map<?, ?>) before.get(server.getKey());
                double serverErrors = rate(was, now, "server_err", elapsedSeconds) + rate(was, now, "server_timedout", elapsedSeconds);
                boolean in = Long.valueOf(1).equals(now.get("kvproxy_online"));
                screen.append(String.format(Locale.ROOT, "  %-26s %10s %8s %10s %9s %s%n", server.getKey() + " " + now.get("kvproxy_address"),
                        number(rate(was, now, "requests", elapsedSeconds)), "", String.valueOf(now.get("kvproxy_latency_p99_us")),
                        number(serverErrors), in ? "in" : "OUT (ejected " + now.get("server_ejected_at") + ")"));
            }
        }
        return screen.toString();
    }

    private static double delta(Map<?, ?> before, Map<?, ?> now, String field) {
        long current = now.get(field) instanceof Long value ? value : 0;
        long previous = before != null && before.get(field) instanceof Long value ? value : 0;
        return current >= previous ? current - previous : current;
    }

    private static double rate(Map<?, ?> before, Map<?, ?> now, String field, double elapsedSeconds) {
        if (before == null || elapsedSeconds <= 0) {
            return Double.NaN;
        }
        return delta(before, now, field) / elapsedSeconds;
    }

    private static String number(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.0f", value);
    }

    /**
     * The stats port's JSON as nested maps: objects become maps (in their order), numbers longs, strings
     * strings. It reads the JSON kvproxy's and nutcracker's stats ports write, no more.
     *
     * @throws IllegalArgumentException naming where the text stops being such JSON
     */
    public static Map<String, Object> parse(String json) {
        int[] at = {skipSpace(json, 0)};
        Object value = value(json, at);
        if (!(value instanceof Map<?, ?>) || skipSpace(json, at[0]) != json.length()) {
            throw new IllegalArgumentException("not one JSON object: " + abbreviated(json));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) value;
        return map;
    }

    private static Object value(String json, int[] at) {
        int i = skipSpace(json, at[0]);
        if (i >= json.length()) {
            throw new IllegalArgumentException("JSON ends early");
        }
        char c = json.charAt(i);
        if (c == '{') {
            Map<String, Object> map = new LinkedHashMap<>();
            i = skipSpace(json, i + 1);
            if (i < json.length() && json.charAt(i) == '}') {
                at[0] = i + 1;
                return map;
            }
            while (true) {
                at[0] = i;
                Object key = value(json, at);
                i = skipSpace(json, at[0]);
                if (!(key instanceof String name) || i >= json.length() || json.charAt(i) != ':') {
                    throw new IllegalArgumentException("expected \"key\": at " + i);
                }
                at[0] = i + 1;
                map.put(name, value(json, at));
                i = skipSpace(json, at[0]);
                if (i < json.length() && json.charAt(i) == ',') {
                    i = skipSpace(json, i + 1);
                    continue;
                }
                if (i < json.length() && json.charAt(i) == '}') {
                    at[0] = i + 1;
                    return map;
                }
                throw new IllegalArgumentException("expected , or } at " + i);
            }
        }
        if (c == '"') {
            StringBuilder text = new StringBuilder();
            for (i++; i < json.length() && json.charAt(i) != '"'; i++) {
                if (json.charAt(i) == '\\' && i + 1 < json.length()) {
                    i++;
                }
                text.append(json.charAt(i));
            }
            if (i >= json.length()) {
                throw new IllegalArgumentException("unterminated string");
            }
            at[0] = i + 1;
            return text.toString();
        }
        int start = i;
        while (i < json.length() && (json.charAt(i) == '-' || Character.isDigit(json.charAt(i)))) {
            i++;
        }
        if (i == start) {
            throw new IllegalArgumentException("unexpected '" + c + "' at " + i);
        }
        at[0] = i;
        return Long.parseLong(json.substring(start, i));
    }

    private static int skipSpace(String json, int i) {
        while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
            i++;
        }
        return i;
    }

    private static String abbreviated(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "…";
    }
}
