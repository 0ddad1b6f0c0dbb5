package io.kvproxy.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real memcached process on a free loopback port, in the foreground so that its pid is ours to end.
 * Fails loudly when memcached is not installed: the suite never skips. Public for the load generator's
 * tests in {@code io.kvproxy.loadgen}.
 */
public final class MemcachedServer implements ServerProcess<MemcachedServer> {

    private final int port;
    private final Process process;

    private MemcachedServer(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    public static MemcachedServer start() throws IOException, InterruptedException {
        return start(0);
    }

    /** A fresh memcached on {@code port} (0: any free port), e.g. to restart one that was killed. */
    static MemcachedServer start(int fixedPort) throws IOException, InterruptedException {
        return start(fixedPort, "2m", 64);
    }

    /** A fresh memcached whose largest item is {@code itemSizeMax} ({@code -I}: e.g. "1m", as kvproxy's max_packet = 1). */
    static MemcachedServer withItemSizeMax(String itemSizeMax) throws IOException, InterruptedException {
        return start(0, itemSizeMax, 64);
    }

    /** A fresh memcached with {@code memoryMegabytes} of item memory, for tests that store hundreds of megabytes. */
    static MemcachedServer start(int fixedPort, int memoryMegabytes) throws IOException, InterruptedException {
        return start(fixedPort, "2m", memoryMegabytes);
    }

    private static MemcachedServer start(int fixedPort, String itemSizeMax, int memoryMegabytes) throws IOException, InterruptedException {
        String binary = find("memcached");
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = fixedPort != 0 ? fixedPort : freePort();
            List<String> command = new ArrayList<>(List.of(binary, "-l", "127.0.0.1", "-p", Integer.toString(port),
                    "-U", "0", "-m", Integer.toString(memoryMegabytes), "-c", "4096", "-I", itemSizeMax));
            if ("root".equals(System.getProperty("user.name"))) {
                command.addAll(List.of("-u", "nobody"));
            }
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (Await.until(Duration.ofSeconds(5), () -> !process.isAlive() || accepts(port))) {
                if (process.isAlive()) {
                    return new MemcachedServer(port, process);
                }
            }
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            last = new IOException("memcached did not start on port " + port);
        }
        throw last;
    }

    /** The absolute path of an installed program, or a failure that says how to install it. */
    static String find(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        for (String dir : new String[] {"/usr/bin", "/usr/sbin", "/usr/local/bin"}) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException(program + " is not installed: run sbin/test, or apt-get install -y memcached nutcracker libmemcached-tools");
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public MemcachedServer restart() throws IOException, InterruptedException {
        return start(port);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        ExternalProgram.end(process, 5);
    }
}
