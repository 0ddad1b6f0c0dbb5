package io.kvproxy.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The real daemon, run from the packaged jar ({@code target/kvproxy.jar}, loading {@code ext/memcached.jar})
 * exactly as {@code sbin/kvproxy} runs it, with a config written for the test.
 */
final class KvproxyProcess implements AutoCloseable {

    static final Path HOME = Path.of(System.getProperty("kvproxy.home", System.getProperty("user.dir"))).toAbsolutePath();

    private final Process process;
    private final int port;
    private final Path logFile;
    private final StringBuffer output;

    private KvproxyProcess(Process process, int port, Path logFile, StringBuffer output) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
        this.output = output;
    }

    /**
     * A config with a [kvproxy] section for {@code port} and the given extension and cluster sections;
     * {@code log_level = info} unless {@code kvproxyExtra} sets it.
     */
    static String config(int port, Path dir, String kvproxyExtra, String rest) {
        String level = kvproxyExtra.contains("log_level") ? "" : "log_level = info\n";
        return "[kvproxy]\nport = " + port + "\nlog_path = " + dir.resolve("kvproxy.log") + "\n" + level
                + kvproxyExtra + "\n" + rest;
    }

    /** A cluster section over {@code servers}, ids 1.., weight 100. */
    static String cluster(String name, List<? extends ServerProcess<?>> servers) {
        StringBuilder section = new StringBuilder("[" + name + "]\n");
        for (int i = 0; i < servers.size(); i++) {
            section.append(servers.get(i).address()).append(" = \"").append(i + 1).append(":100\"\n");
        }
        return section.toString();
    }

    /** Starts the daemon with {@code configText} and waits until it listens. */
    static KvproxyProcess start(Path dir, int port, String configText) throws IOException, InterruptedException {
        return start(dir, port, configText, List.of());
    }

    /** As {@link #start(Path, int, String)}, the daemon's command line preceded by {@code prefix} (e.g. prlimit). */
    static KvproxyProcess start(Path dir, int port, String configText, List<String> prefix) throws IOException, InterruptedException {
        Path configFile = dir.resolve("kvproxy.ini");
        Files.writeString(configFile, configText);
        Process process = launch(configFile, prefix);
        StringBuffer output = new StringBuffer();
        CompletableFuture<Boolean> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    output.append(line).append('\n');
                    if (line.contains(" listening on ")) {
                        listening.complete(true);
                    }
                }
            } catch (IOException e) {
                output.append("<output lost: ").append(e).append(">\n");
            }
            listening.complete(false);
        }, "kvproxy-output");
        reader.setDaemon(true);
        reader.start();
        boolean started;
        try {
            started = listening.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            started = false;
        }
        if (!started) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new IllegalStateException("kvproxy did not start:\n" + output);
        }
        KvproxyProcess daemon = new KvproxyProcess(process, port, dir.resolve("kvproxy.log"), output);
        if (!Await.until(Duration.ofSeconds(5), daemon::backendsConnected)) {
            String log = daemon.log();
            // The caller never gets the process to stop: it must not outlive the test.
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new IllegalStateException("kvproxy did not connect to its backends:\n" + log);
        }
        return daemon;
    }

    /**
     * Starts {@code count} memcached servers (added to {@code servers}) and the daemon over them as its
     * {@code hosts = master} cluster, with {@code kvproxyExtra} lines in [kvproxy].
     */
    static KvproxyProcess startOverMaster(Path dir, List<MemcachedServer> servers, int count, String kvproxyExtra)
            throws IOException, InterruptedException {
        for (int i = 0; i < count; i++) {
            servers.add(MemcachedServer.start());
        }
        int port = MemcachedServer.freePort();
        return start(dir, port, config(port, dir, kvproxyExtra,
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + cluster("master", servers)));
    }

    /**
     * The daemon over {@code masters} as {@code hosts = master} and {@code backup} as {@code hosts_backup},
     * with {@code kvproxyExtra} lines in [kvproxy]: a pool shaped like a production one, for side-by-side tests.
     */
    static KvproxyProcess startOverMastersAndBackup(Path dir, List<MemcachedServer> masters, MemcachedServer backup,
                                                    String kvproxyExtra) throws IOException, InterruptedException {
        int port = MemcachedServer.freePort();
        return start(dir, port, config(port, dir, kvproxyExtra,
                "[memcached]\nextension = memcached.jar\nhosts = master\nhosts_backup = backup\n\n"
                        + cluster("master", masters) + cluster("backup", List.of(backup))));
    }

    /** Stops the daemon (if it started) and every server, and checks that none is left running. */
    static void stopAll(KvproxyProcess proxy, List<? extends ServerProcess<?>> servers) throws InterruptedException {
        if (proxy != null) {
            proxy.stop();
        }
        for (ServerProcess<?> server : servers) {
            server.close();
            if (server.isAlive()) {
                throw new IllegalStateException(server.address() + " (pid " + server.pid() + ") still running");
            }
        }
    }

    /** Runs the daemon's command line to completion (e.g. {@code -t}); returns exit code and output. */
    static Result run(String... args) throws IOException, InterruptedException {
        List<String> command = javaCommand();
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("kvproxy " + List.of(args) + " did not exit");
        }
        return new Result(process.exitValue(), text);
    }

    record Result(int exitCode, String output) {
    }

    /** As {@link #run}, with stdout and stderr apart (the twemproxy import prints the INI on one, notes on the other). */
    static SplitResult runSplit(String... args) throws IOException, InterruptedException {
        List<String> command = javaCommand();
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "<stderr lost: " + e + ">";
            }
        });
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("kvproxy " + List.of(args) + " did not exit");
        }
        try {
            return new SplitResult(process.exitValue(), stdout, stderr.get(10, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("stderr of kvproxy " + List.of(args) + " unreadable", e);
        }
    }

    record SplitResult(int exitCode, String stdout, String stderr) {
    }

    private static Process launch(Path configFile, List<String> prefix) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(javaCommand());
        command.addAll(List.of("-c", configFile.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static List<String> javaCommand() {
        Path jar = HOME.resolve("target/kvproxy.jar");
        if (!Files.isRegularFile(jar) || !Files.isRegularFile(HOME.resolve("ext/memcached.jar"))) {
            throw new IllegalStateException("build the jars first (mvn package): " + jar);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The JVM options sbin/kvproxy runs the daemon with: memory caps, collector, compiler.
        return new ArrayList<>(List.of(java, "@" + HOME.resolve("etc/jvm.options"), "-Dkvproxy.home=" + HOME, "-jar", jar.toString()));
    }

    private boolean backendsConnected() {
        String log = log();
        return log.contains("connected (worker") || !process.isAlive();
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile) : "";
        } catch (IOException e) {
            return "<log unreadable: " + e + ">";
        }
    }

    String output() {
        return output.toString();
    }

    /** SIGTERM and wait: the graceful stop. Returns the exit code. */
    int stop() throws InterruptedException {
        terminate();
        return awaitExit();
    }

    /** Sends SIGTERM and returns at once: the stop begins. */
    void terminate() {
        process.destroy();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the daemon to exit (15 s, then SIGKILL and a failure); returns its exit code. */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new IllegalStateException("kvproxy did not stop within 15 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                stop();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
