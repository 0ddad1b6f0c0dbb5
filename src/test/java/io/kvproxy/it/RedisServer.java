package io.kvproxy.it;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server process on a free loopback port, in the foreground (its pid is ours to end), with
 * no persistence. Fails loudly when redis-server is not installed: the suite never skips.
 */
final class RedisServer implements AutoCloseable {

    private final int port;
    private final Process process;

    private RedisServer(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    /** A fresh redis-server; {@code password} (or null) becomes its {@code requirepass}; {@code options} follow ({@code --name value}). */
    static RedisServer start(String password, String... options) throws IOException, InterruptedException {
        for (int attempt = 0; attempt < 4; attempt++) {
            RedisServer server = launch(MemcachedServer.freePort(), password, options);
            if (server != null) {
                return server;
            }
        }
        return startOn(MemcachedServer.freePort(), password, options);
    }

    /** A fresh redis-server on {@code port} (where a server that was there has ended), as {@link #start}. */
    static RedisServer startOn(int port, String password, String... options) throws IOException, InterruptedException {
        RedisServer server = launch(port, password, options);
        if (server == null) {
            throw new IOException("redis-server did not start on port " + port);
        }
        return server;
    }

    /** Starts redis-server on {@code port} and waits until it listens; null when it did not (ended). */
    private static RedisServer launch(int port, String password, String... options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(MemcachedServer.find("redis-server"), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"));
        if (password != null) {
            command.addAll(List.of("--requirepass", password));
        }
        command.addAll(List.of(options));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (Await.until(Duration.ofSeconds(5), () -> !process.isAlive() || MemcachedServer.accepts(port)) && process.isAlive()) {
            return new RedisServer(port, process);
        }
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        return null;
    }

    int port() {
        return port;
    }

    /** {@code 127.0.0.1:port}, as a cluster section names a server. */
    String address() {
        return "127.0.0.1:" + port;
    }

    /** The process's id: where a test sends STOP and CONT to stall and resume the server. */
    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        ExternalProgram.end(process, 5);
    }
}
