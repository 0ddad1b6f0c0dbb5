package io.kvproxy.loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * sbin/bench's chart: an SVG of one run's table, written as plain text. Left, kvproxy's throughput over
 * nutcracker's and over memcached direct per workload, with lines at 1.0 and at the 1.5 target; right,
 * p50, p99 and p999 latency per workload and load (a share of nutcracker's peak) for each target, on a
 * log scale: the bar is p99, the dot p50, the whisker's top p999.
 *
 * <pre>
 * BenchChart OUT.svg TITLE RATIOS.tsv LATENCY.tsv
 *   RATIOS.tsv:  workload kvproxy_over_nutcracker kvproxy_over_direct   ("-" where there is none)
 *   LATENCY.tsv: workload load_percent target p50_us p99_us p999_us
 * </pre>
 */
public final class BenchChart {

    record Ratio(String workload, double overNutcracker, double overDirect) {
    }

    record Latency(String workload, int loadPercent, String target, double p50, double p99, double p999) {
    }

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 440;
    private static final int TOP = 60;
    private static final int BOTTOM = 360;
    private static final Map<String, String> COLORS = Map.of("direct", "#9e9e9e", "nutcracker", "#e6862e",
            "kvproxy", "#2e6fe6");

    private BenchChart() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: BenchChart OUT.svg TITLE RATIOS.tsv LATENCY.tsv");
            System.exit(2);
        }
        List<Ratio> ratios = new ArrayList<>();
        for (String[] f : rows(Path.of(args[2]))) {
            ratios.add(new Ratio(f[0], number(f[1]), number(f[2])));
        }
        List<Latency> latencies = new ArrayList<>();
        for (String[] f : rows(Path.of(args[3]))) {
            latencies.add(new Latency(f[0], Integer.parseInt(f[1]), f[2], number(f[3]), number(f[4]), number(f[5])));
        }
        Files.writeString(Path.of(args[0]), svg(args[1], ratios, latencies), StandardCharsets.UTF_8);
    }

    private static List<String[]> rows(Path file) throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                rows.add(line.trim().split("\\s+"));
            }
        }
        return rows;
    }

    /** A number, or NaN for "-" (a ratio that has no nutcracker side, as binary's). */
    private static double number(String text) {
        return text.equals("-") ? Double.NaN : Double.parseDouble(text);
    }

    static String svg(String title, List<Ratio> ratios, List<Latency> latencies) {
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        text(svg, WIDTH / 2.0, 22, "middle", 15, title);
        throughputPanel(svg, ratios, 50, 330);
        latencyPanel(svg, latencies, 420, 980);
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void throughputPanel(StringBuilder svg, List<Ratio> ratios, double left, double right) {
        text(svg, (left + right) / 2, 44, "middle", 12, "throughput: kvproxy ÷ nutcracker, kvproxy ÷ direct");
        double max = 1.6;
        for (Ratio r : ratios) {
            max = Math.max(max, Math.max(finite(r.overNutcracker()), finite(r.overDirect())));
        }
        double top = Math.ceil(max * 5) / 5;
        for (double v = 0; v <= top + 1e-9; v += 0.2) {
            double y = linearY(v, top);
            line(svg, left, y, right, y, "#eeeeee", "");
            text(svg, left - 4, y + 4, "end", 10, String.format(Locale.ROOT, "%.1f", v));
        }
        line(svg, left, linearY(1.0, top), right, linearY(1.0, top), "#555555", " stroke-dasharray=\"4 3\"");
        line(svg, left, linearY(1.5, top), right, linearY(1.5, top), "#2e6fe6", " stroke-dasharray=\"1 3\"");
        text(svg, right, linearY(1.5, top) - 3, "end", 10, "1.5× target");
        double group = (right - left) / Math.max(1, ratios.size());
        double bar = Math.min(28, group / 3);
        for (int i = 0; i < ratios.size(); i++) {
            Ratio r = ratios.get(i);
            double x = left + i * group + group / 2;
            ratioBar(svg, x - bar, bar, r.overNutcracker(), top, COLORS.get("nutcracker"));
            ratioBar(svg, x, bar, r.overDirect(), top, COLORS.get("direct"));
            text(svg, x, BOTTOM + 16, "middle", 11, r.workload());
        }
        legend(svg, left, BOTTOM + 40, List.of("÷ nutcracker", "÷ direct"), List.of(COLORS.get("nutcracker"), COLORS.get("direct")));
    }

    private static void ratioBar(StringBuilder svg, double x, double width, double value, double top, String color) {
        if (Double.isNaN(value)) {
            return;
        }
        double y = linearY(value, top);
        svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n",
                x, y, width - 2, BOTTOM - y, color));
        text(svg, x + width / 2 - 1, y - 3, "middle", 10, String.format(Locale.ROOT, "%.2f", value));
    }

    private static void latencyPanel(StringBuilder svg, List<Latency> latencies, double left, double right) {
        text(svg, (left + right) / 2, 44, "middle", 12,
                "latency in µs (log scale) at a share of nutcracker's peak: bar p99, dot p50, top p999");
        Map<String, List<Latency>> groups = new LinkedHashMap<>();
        double max = 100;
        double min = 10;
        for (Latency l : latencies) {
            groups.computeIfAbsent(l.workload() + " " + l.loadPercent() + "%", k -> new ArrayList<>()).add(l);
            max = Math.max(max, l.p999());
        }
        double lowDecade = Math.log10(min);
        double highDecade = Math.ceil(Math.log10(max));
        for (double d = lowDecade; d <= highDecade + 1e-9; d++) {
            double y = logY(Math.pow(10, d), lowDecade, highDecade);
            line(svg, left, y, right, y, "#eeeeee", "");
            text(svg, left - 4, y + 4, "end", 10, String.format(Locale.ROOT, "%,.0f", Math.pow(10, d)));
        }
        double group = (right - left) / Math.max(1, groups.size());
        double bar = Math.min(16, group / 4);
        int g = 0;
        for (Map.Entry<String, List<Latency>> entry : groups.entrySet()) {
            double x0 = left + g++ * group + (group - bar * entry.getValue().size()) / 2;
            for (int i = 0; i < entry.getValue().size(); i++) {
                Latency l = entry.getValue().get(i);
                double x = x0 + i * bar;
                double yP99 = logY(l.p99(), lowDecade, highDecade);
                svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                                + "<title>%s %s: p50 %.0f µs, p99 %.0f µs, p999 %.0f µs</title></rect>%n",
                        x, yP99, bar - 2, BOTTOM - yP99, COLORS.getOrDefault(l.target(), "#000000"), entry.getKey(), l.target(),
                        l.p50(), l.p99(), l.p999()));
                double mid = x + (bar - 2) / 2;
                line(svg, mid, logY(l.p999(), lowDecade, highDecade), mid, yP99, "#222222", "");
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#222222\"/>%n", mid,
                        logY(l.p50(), lowDecade, highDecade)));
            }
            text(svg, left + (g - 0.5) * group, BOTTOM + 16, "middle", 10, entry.getKey());
        }
        legend(svg, left, BOTTOM + 40, List.of("direct", "nutcracker", "kvproxy"),
                List.of(COLORS.get("direct"), COLORS.get("nutcracker"), COLORS.get("kvproxy")));
    }

    private static double finite(double value) {
        return Double.isNaN(value) ? 0 : value;
    }

    private static double linearY(double value, double top) {
        return BOTTOM - (BOTTOM - TOP) * value / top;
    }

    /** Values below the scale sit on its floor. */
    private static double logY(double value, double lowDecade, double highDecade) {
        double decade = Math.max(lowDecade, Math.log10(Math.max(value, 1e-9)));
        return BOTTOM - (BOTTOM - TOP) * (decade - lowDecade) / (highDecade - lowDecade);
    }

    private static void legend(StringBuilder svg, double x, double y, List<String> names, List<String> colors) {
        for (int i = 0; i < names.size(); i++) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>%n",
                    x + i * 110, y - 9, colors.get(i)));
            text(svg, x + i * 110 + 14, y, "start", 11, names.get(i));
        }
    }

    private static void line(StringBuilder svg, double x1, double y1, double x2, double y2, String color, String extra) {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>%n",
                x1, y1, x2, y2, color, extra));
    }

    private static void text(StringBuilder svg, double x, double y, String anchor, int size, String content) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
                x, y, anchor, size, escape(content)));
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
