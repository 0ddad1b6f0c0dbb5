package io.kvproxy.loadgen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * sbin/bench's latency load generator: open loop at a fixed request rate over N memcached text protocol
 * connections, the same requests for every target, latency measured from each request's intended send
 * time (so a stall of the target counts against it, coordinated omission corrected), percentiles from
 * HdrHistogram.
 *
 * <pre>
 * LatencyLoad --port P --rate REQUESTS_PER_S [--host 127.0.0.1] [--workload get90|mget10|mget100]
 *             [--connections 32] [--threads 1] [--duration 10] [--warmup 2] [--keys 10000] [--seed 1]
 * </pre>
 *
 * It first stores every key of the key space through the target (so gets hit), then runs warm-up and
 * measured window back to back on one schedule, and prints one line of {@code name=value} fields:
 * {@code rate} (asked), {@code achieved} (measured requests answered per second), {@code p50_us},
 * {@code p99_us}, {@code p999_us}, {@code max_us}, {@code requests}, {@code errors} (error replies),
 * {@code unanswered} (no reply within the drain time; recorded at that latency), {@code hits} (values
 * returned), {@code send_lag_p99_us} (how late requests went out: the generator itself was late, or the
 * connection's pipeline was full because the target was behind) and {@code preload_errors} (sets of
 * the key space answered with an error). Exit code 0, or 1 with a message when the target failed the run.
 */
public final class LatencyLoad {

    private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private LatencyLoad() {
    }

    record Settings(String host, int port, long rate, Workload workload, int connections, int threads,
            long durationSeconds, long warmupSeconds, int keys, long seed) {
    }

    /** What a run measured, merged over its workers. */
    record Result(Settings settings, Histogram latency, Histogram sendLag, long answered, long errors,
            long unanswered, long hits, double achievedPerSecond, long preloadErrors) {

        String line() {
            return String.format(Locale.ROOT, "workload=%s rate=%d achieved=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f"
                            + " max_us=%.1f requests=%d errors=%d unanswered=%d hits=%d send_lag_p99_us=%.1f preload_errors=%d",
                    settings.workload().label(), settings.rate(), achievedPerSecond, micros(latency, 50), micros(latency, 99),
                    micros(latency, 99.9), latency.getMaxValue() / 1000.0, answered, errors, unanswered, hits,
                    micros(sendLag, 99), preloadErrors);
        }

        private static double micros(Histogram histogram, double percentile) {
            return histogram.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    public static void main(String[] args) throws Exception {
        Settings settings;
        try {
            settings = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("loadgen: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            System.out.println(run(settings).line());
        } catch (IOException | UncheckedIOException | IllegalStateException e) {
            System.err.println("loadgen: the run against " + settings.host() + ":" + settings.port() + " failed: " + e);
            System.exit(1);
        }
    }

    static Settings parse(String[] args) {
        String host = "127.0.0.1";
        int port = 0;
        long rate = 0;
        Workload workload = Workload.GET90;
        int connections = 32;
        int threads = 1;
        long duration = 10;
        long warmup = 2;
        int keys = 10_000;
        long seed = 1;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--host" -> host = value;
                case "--port" -> port = (int) positive(args[i], value);
                case "--rate" -> rate = positive(args[i], value);
                case "--workload" -> workload = Workload.named(value);
                case "--connections" -> connections = (int) positive(args[i], value);
                case "--threads" -> threads = (int) positive(args[i], value);
                case "--duration" -> duration = positive(args[i], value);
                case "--warmup" -> warmup = Long.parseLong(value);
                case "--keys" -> keys = (int) positive(args[i], value);
                case "--seed" -> seed = Long.parseLong(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (port == 0 || rate == 0) {
            throw new IllegalArgumentException("--port and --rate are required");
        }
        return new Settings(host, port, rate, workload, connections, Math.min(threads, connections), duration,
                warmup, keys, seed);
    }

    private static long positive(String option, String value) {
        long parsed = Long.parseLong(value);
        if (parsed < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, got " + value);
        }
        return parsed;
    }

    /** Preloads the key space through the target, then runs the schedule on every worker and merges what they measured. */
    static Result run(Settings settings) throws IOException, InterruptedException {
        InetSocketAddress target = new InetSocketAddress(settings.host(), settings.port());
        Workload.KeySpace keys = new Workload.KeySpace(settings.keys());
        long preloadErrors = preload(target, keys);
        // Connections are opened before the schedule starts, so that connecting is not measured.
        long startNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        long measureFrom = startNanos + TimeUnit.SECONDS.toNanos(settings.warmupSeconds());
        long sendUntil = measureFrom + TimeUnit.SECONDS.toNanos(settings.durationSeconds());
        OpenLoopSchedule schedule = new OpenLoopSchedule(startNanos, settings.rate());
        List<LoadWorker> workers = new ArrayList<>();
        for (int t = 0; t < settings.threads(); t++) {
            workers.add(new LoadWorker(schedule, sendUntil, DRAIN_NANOS, new RunRecorder(measureFrom, sendUntil)));
        }
        for (int c = 0; c < settings.connections(); c++) {
            LoadWorker worker = workers.get(c % workers.size());
            worker.add(new LoadConnection(target, worker.selector(), c, settings.connections(), settings.workload(), keys,
                    settings.seed(), worker.recorder));
        }
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int t = 0; t < workers.size(); t++) {
            Thread thread = new Thread(workers.get(t), "loadgen-" + t);
            thread.setUncaughtExceptionHandler((th, e) -> {
                synchronized (failures) {
                    failures.add(e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a worker failed: " + failures.get(0), failures.get(0));
        }
        return merge(settings, workers, measureFrom, preloadErrors);
    }

    private static Result merge(Settings settings, List<LoadWorker> workers, long measureFrom, long preloadErrors) {
        Histogram latency = new Histogram(3);
        Histogram sendLag = new Histogram(3);
        long answered = 0;
        long errors = 0;
        long unanswered = 0;
        long hits = 0;
        long lastAnswer = measureFrom;
        for (LoadWorker worker : workers) {
            RunRecorder recorder = worker.recorder;
            latency.add(recorder.latency);
            sendLag.add(recorder.sendLag);
            answered += recorder.answered;
            errors += recorder.errors;
            unanswered += recorder.unanswered;
            hits += recorder.hits;
            lastAnswer = Math.max(lastAnswer, recorder.lastAnswerNanos);
        }
        // Answered per second over the time it took to answer them: a target slower than the rate stretches
        // it past the send window, and achieved shows its own throughput.
        long window = Math.max(lastAnswer - measureFrom, TimeUnit.SECONDS.toNanos(settings.durationSeconds()));
        double achieved = answered * 1e9 / window;
        return new Result(settings, latency, sendLag, answered, errors, unanswered, hits, achieved, preloadErrors);
    }

    /**
     * Stores every key through the target, pipelined in batches; returns how many sets it answered with an
     * error (a proxy's backend timeout on a loaded machine, say): those keys miss in the run, which counts
     * their gets all the same.
     */
    static long preload(InetSocketAddress target, Workload.KeySpace keys) throws IOException {
        int batch = 100;
        ByteBuffer out = ByteBuffer.allocate(batch * Workload.GET90.maxRequestBytes());
        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        TextReplyParser parser = new TextReplyParser();
        int[] replies = {0};
        long[] errors = {0};
        try (SocketChannel channel = SocketChannel.open(target)) {
            for (int from = 0; from < keys.size(); from += batch) {
                int to = Math.min(keys.size(), from + batch);
                out.clear();
                for (int i = from; i < to; i++) {
                    Workload.preloadRequest(out, keys, i);
                }
                out.flip();
                while (out.hasRemaining()) {
                    channel.write(out);
                }
                while (replies[0] < to) {
                    in.clear();
                    if (channel.read(in) < 0) {
                        throw new IOException("the target closed the connection while keys were stored");
                    }
                    in.flip();
                    parser.parse(in, (hits, error) -> {
                        errors[0] += error ? 1 : 0;
                        replies[0]++;
                    });
                }
            }
        }
        return errors[0];
    }
}
