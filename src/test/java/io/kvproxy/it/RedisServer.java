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
final class RedisServer implements ServerProcess<RedisServer> {

    private final int port;
    private final Process process;
    private final String password;
    private final String[] options;

    private RedisServer(int port, Process process, String password, String[] options) {
        this.port = port;
        this.process = process;
        this.password = password;
        this.options = options;
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
            return new RedisServer(port, process, password, options);
        }
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        return null;
    }

    @Override
    public int port() {
        return port;
    }

    /** The process's id: where a test sends STOP and CONT to stall and resume the server. */
    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The same password and options on the same port, as a redis-server restarted by its operator. */
    @Override
    public RedisServer restart() throws IOException, InterruptedException {
        return startOn(port, password, options);
    }

    @Override
    public void close() {
        ExternalProgram.end(process, 5);
    }
}
