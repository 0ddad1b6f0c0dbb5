package io.kvproxy.it;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Prometheus server scraping one target every second, on free loopback ports with its data in a
 * test directory; the test reads what it scraped through its HTTP query API. Fails loudly when prometheus
 * is not installed (sbin/test installs the Debian package).
 */
final class PrometheusProcess implements AutoCloseable {

    /** The value of a one-sample instant-vector result: {@code "value":[<time>,"<number>"]}. */
    private static final Pattern SAMPLE = Pattern.compile("\"value\":\\[[^,]+,\"([^\"]+)\"\\]");

    private final Process process;
    private final int port;
    private final Path logFile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private PrometheusProcess(Process process, int port, Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
    }

    /** Starts Prometheus scraping {@code http://127.0.0.1:<targetPort>/metrics} as job {@code kvproxy}; returns once it is ready. */
    static PrometheusProcess start(Path dir, int targetPort) throws IOException, InterruptedException {
        String binary = MemcachedServer.find("prometheus");
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                + "scrape_configs:\n  - job_name: kvproxy\n    static_configs:\n      - targets: ['127.0.0.1:" + targetPort + "']\n");
        Path logFile = dir.resolve("prometheus.log");
        String failure = "";
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = MemcachedServer.freePort();
            Process process = new ProcessBuilder(List.of(binary, "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("prometheus-data-" + attempt), "--web.listen-address=127.0.0.1:" + port))
                    .redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
            PrometheusProcess prometheus = new PrometheusProcess(process, port, logFile);
            if (Await.until(Duration.ofSeconds(30), () -> !process.isAlive() || prometheus.isReady()) && process.isAlive()) {
                return prometheus;
            }
            prometheus.close();
            failure = Files.readString(logFile);
        }
        throw new IllegalStateException("prometheus did not start with " + config + "; its log:\n" + failure);
    }

    private boolean isReady() {
        try {
            return get("/-/ready").statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The value of {@code promql}, an expression that yields one sample (a {@code sum}, or one series), as
     * of now; empty while Prometheus has no such sample.
     */
    OptionalDouble query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> response = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (response.statusCode() != 200 || !response.body().contains("\"status\":\"success\"")) {
            throw new IllegalStateException("query " + promql + ": HTTP " + response.statusCode() + " " + response.body());
        }
        Matcher sample = SAMPLE.matcher(response.body());
        if (!sample.find()) {
            return OptionalDouble.empty();
        }
        double value = Double.parseDouble(sample.group(1));
        if (sample.find()) {
            throw new IllegalStateException("query " + promql + " gave more than one sample: " + response.body());
        }
        return OptionalDouble.of(value);
    }

    /** Prometheus' own view of its scrape target: {@code up} is 1 once a scrape of it succeeded. */
    boolean targetUp() throws IOException, InterruptedException {
        return query("up{job=\"kvproxy\"}").orElse(0) == 1;
    }

    /**
     * What {@code promtool check metrics} says of the exposition {@code text} (written to {@code file}
     * for it): its exit code and its output, empty when it found nothing, naming conventions included.
     */
    static Verdict checkMetrics(Path file, String text) throws IOException, InterruptedException {
        Files.writeString(file, text);
        // promtool reads the exposition on stdin and lints it against Prometheus' naming conventions too.
        Process promtool = new ProcessBuilder(MemcachedServer.find("promtool"), "check", "metrics")
                .redirectInput(file.toFile()).redirectErrorStream(true).start();
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!promtool.waitFor(30, TimeUnit.SECONDS)) {
            promtool.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new IllegalStateException("promtool did not finish: " + output);
        }
        return new Verdict(promtool.exitValue(), output.trim());
    }

    /** promtool's exit code and output. */
    record Verdict(int exitCode, String output) {
    }

    String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile) : "";
        } catch (IOException e) {
            return "<log unreadable: " + e + ">";
        }
    }

    private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(5)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM (Prometheus shuts down cleanly) and wait; SIGKILL if it lingers. */
    @Override
    public void close() {
        ExternalProgram.end(process, 15);
    }
}
