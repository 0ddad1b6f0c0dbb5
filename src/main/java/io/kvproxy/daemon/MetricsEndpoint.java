package io.kvproxy.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kvproxy.stats.PrometheusMetrics;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code metrics_port}: serves {@code GET /metrics} in the Prometheus text format (version 0.0.4), and
 * nothing else. The JDK's HTTP server on one thread of its own, apart from the workers: a scrape merges
 * the workers' histograms without stopping them.
 */
final class MetricsEndpoint {

    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);
    private static final int STOP_DELAY_SECONDS = 1;

    private final HttpServer server;
    private final ExecutorService thread;

    private MetricsEndpoint(HttpServer server, ExecutorService thread) {
        this.server = server;
        this.thread = thread;
    }

    /** Binds {@code host:port} and starts serving {@code metrics}. */
    static MetricsEndpoint start(String host, int port, PrometheusMetrics metrics) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new IOException("metrics_port: cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        server.createContext("/", exchange -> {
            try (exchange) {
                serve(exchange, metrics, writer);
            } catch (IOException | RuntimeException e) {
                log.warn("metrics: {} {} from {} failed: {}", exchange.getRequestMethod(), exchange.getRequestURI(),
                        exchange.getRemoteAddress(), e.toString());
            }
        });
        ExecutorService thread = Executors.newSingleThreadExecutor(runnable -> {
            Thread t = new Thread(runnable, "kvproxy-metrics");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(thread);
        server.start();
        log.info("kvproxy metrics on http://{}:{}/metrics", host, server.getAddress().getPort());
        return new MetricsEndpoint(server, thread);
    }

    private static void serve(HttpExchange exchange, PrometheusMetrics metrics, PrometheusTextFormatWriter writer) throws IOException {
        if (!exchange.getRequestURI().getPath().equals("/metrics")) {
            reply(exchange, 404, "only /metrics is served here\n");
            return;
        }
        boolean head = exchange.getRequestMethod().equals("HEAD");
        if (!head && !exchange.getRequestMethod().equals("GET")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            reply(exchange, 405, "GET /metrics\n");
            return;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
        writer.write(body, metrics.collect());
        exchange.getResponseHeaders().set("Content-Type", writer.getContentType());
        if (head) {
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        exchange.sendResponseHeaders(200, body.size());
        try (OutputStream out = exchange.getResponseBody()) {
            body.writeTo(out);
        }
    }

    private static void reply(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops serving; a scrape in progress gets up to a second to finish. */
    void stop() {
        server.stop(STOP_DELAY_SECONDS);
        thread.shutdownNow();
    }
}
