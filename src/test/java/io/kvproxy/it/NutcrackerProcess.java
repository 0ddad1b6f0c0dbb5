package io.kvproxy.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * A real nutcracker (twemproxy) process, the peer kvproxy's placement is proven against. Run in the
 * foreground on free loopback ports, so that its pid is ours to end. Fails loudly when nutcracker is not
 * installed: the comparison is never skipped.
 */
final class NutcrackerProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final int statsPort;
    private final Path logFile;

    private NutcrackerProcess(Process process, int port, int statsPort, Path logFile) {
        this.process = process;
        this.port = port;
        this.statsPort = statsPort;
        this.logFile = logFile;
    }

    /**
     * Writes the YAML that {@code configForPort} makes for a free listen port into {@code dir} and starts
     * nutcracker with it, with its stats port on another free loopback port; returns once the listen port
     * accepts connections.
     */
    static NutcrackerProcess start(Path dir, IntFunction<String> configForPort) throws IOException, InterruptedException {
        String binary = MemcachedServer.find("nutcracker");
        Path configFile = dir.resolve("nutcracker.yml");
        Path logFile = dir.resolve("nutcracker.log");
        String failure = "";
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = MemcachedServer.freePort();
            int statsPort = MemcachedServer.freePort();
            Files.writeString(configFile, configForPort.apply(port));
            Files.deleteIfExists(logFile);
            Process process = new ProcessBuilder(List.of(binary, "-c", configFile.toString(), "-o", logFile.toString(),
                    "-s", Integer.toString(statsPort), "-a", "127.0.0.1"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (Await.until(Duration.ofSeconds(5), () -> !process.isAlive() || MemcachedServer.accepts(port)) && process.isAlive()) {
                return new NutcrackerProcess(process, port, statsPort, logFile);
            }
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            failure = Files.exists(logFile) ? Files.readString(logFile) : "(no log)";
        }
        throw new IllegalStateException("nutcracker did not start with " + configFile + ":\n" + Files.readString(configFile)
                + "\nits log:\n" + failure);
    }

    int port() {
        return port;
    }

    /** The port nutcracker writes its stats JSON on. */
    int statsPort() {
        return statsPort;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile) : "";
        } catch (IOException e) {
            return "<log unreadable: " + e + ">";
        }
    }

    /** SIGTERM (nutcracker's default action: exit) and wait; SIGKILL if it lingers. */
    @Override
    public void close() {
        ExternalProgram.end(process, 10);
    }
}
