package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's life as an operator sees it: stop (listener closed at once, what was left undone
 * counted), signals (SIGUSR1/SIGUSR2 harmless, SIGHUP reopens the log), and sbin/kvproxy's pid check.
 * Real memcached servers, the real jar, and for the signals and the pid file, the real control script.
 */
@Timeout(120)
class LifecycleIT {

    private static final Pattern STOP_SUMMARY = Pattern.compile("kvproxy stopped after \\d+ ms: (\\d+) requests unanswered,"
            + " (\\d+) replicas given up; since start: (\\d+) writes replicated, (\\d+) replicas dropped \\(async_size full\\),"
            + " (\\d+) replicas failed");

    @TempDir
    Path dir;
    final List<MemcachedServer> servers = new ArrayList<>();
    final List<ProcessHandle> started = new ArrayList<>();
    KvproxyProcess proxy;

    @AfterEach
    void stop() throws Exception {
        // A server left stopped would take its SIGTERM only once resumed.
        servers.forEach(server -> resume(server));
        started.forEach(process -> assertTrue(end(process), "process " + process.pid() + " did not end"));
        KvproxyProcess.stopAll(proxy, servers);
    }

    private static void resume(MemcachedServer server) {
        try {
            Signals.send("CONT", server.pid());
        } catch (Exception e) {
            throw new IllegalStateException("memcached " + server.pid() + " could not be resumed", e);
        }
    }

    private static boolean end(ProcessHandle process) {
        try {
            return SbinInstall.end(process);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void stopRefusesNewConnectionsAtOnceAndCountsTheRequestsLeftUnanswered() throws Exception {
        MemcachedServer master = MemcachedServer.start();
        servers.add(master);
        int port = MemcachedServer.freePort();
        // A long recv_timeout: the gets to the hung master stay in flight through the whole drain.
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "recv_timeout = 60000",
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + KvproxyProcess.cluster("master", servers)));
        Signals.send("STOP", master.pid());
        try (RawClient client = new RawClient(port)) {
            client.send("get a\r\nget b\r\nget c\r\n");
            assertTrue(Await.until(Duration.ofSeconds(5), () -> stat(port, "cmd_get") == 3), "the gets did not reach the proxy");

            proxy.terminate();
            long stopNanos = System.nanoTime();
            assertTrue(Await.until(Duration.ofSeconds(2), () -> connectRefused(port)),
                    "a new connect is still accepted during the stop:\n" + proxy.log());
            long refusedMillis = (System.nanoTime() - stopNanos) / 1_000_000;
            assertTrue(proxy.isAlive(), "the daemon should still be draining the gets to the hung master");

            proxy.awaitExit();
            client.setReadTimeoutMillis(2000);
            assertTrue(client.isClosedByPeer(), "the client connection should be closed at exit");
            String log = proxy.log();
            assertTrue(log.contains("kvproxy stopping (SIGTERM received)"), log);
            Matcher summary = STOP_SUMMARY.matcher(log);
            assertTrue(summary.find(), "no stop summary in:\n" + log);
            assertEquals("3", summary.group(1), summary.group());
            System.out.println("LifecycleIT: new connects refused " + refusedMillis + " ms after SIGTERM; " + summary.group());
        }
    }

    @Test
    void stopWithAHungBackupLogsTheReplicasGivenUpWithTotalsThatMatchStats() throws Exception {
        MemcachedServer master = MemcachedServer.start();
        MemcachedServer backup = MemcachedServer.start();
        servers.add(master);
        servers.add(backup);
        int port = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "recv_timeout = 60000\nasync_size = 100000",
                "[memcached]\nextension = memcached.jar\nhosts = master\nhosts_backup = backup\n\n"
                        + KvproxyProcess.cluster("master", List.of(master)) + KvproxyProcess.cluster("backup", List.of(backup))));
        Signals.send("STOP", backup.pid());
        int writes = 20_000;
        int batch = 500;
        try (RawClient client = new RawClient(port)) {
            for (int sent = 0; sent < writes; sent += batch) {
                StringBuilder requests = new StringBuilder();
                for (int i = sent; i < sent + batch; i++) {
                    requests.append("set key").append(i).append(" 0 0 6\r\nvalue").append(i % 10).append("\r\n");
                }
                client.send(requests.toString());
                readReplies(client, batch, "STORED\r\n");
            }
        }
        Map<String, Long> before = stats(port);
        long queued = before.get("kvproxy_replication_in_flight");
        assertTrue(queued > writes / 2, "the hung backup should hold most replicas in flight: " + before);

        proxy.terminate();
        proxy.awaitExit();
        String log = proxy.log();
        Matcher summary = STOP_SUMMARY.matcher(log);
        assertTrue(summary.find(), "no stop summary in:\n" + log);
        assertEquals(0, Long.parseLong(summary.group(1)), summary.group());
        assertEquals(queued, Long.parseLong(summary.group(2)), "replicas given up, against stats before the stop " + before);
        assertEquals("[WARN ]", levelOf(log, "kvproxy stopped after"), "a stop that gave replicas up is a warning");
        assertEquals((long) before.get("kvproxy_replicated"), Long.parseLong(summary.group(3)), summary.group());
        assertEquals((long) before.get("kvproxy_replication_dropped"), Long.parseLong(summary.group(4)), summary.group());
        assertEquals(before.get("kvproxy_replication_failed") + queued, Long.parseLong(summary.group(5)), summary.group());
        System.out.println("LifecycleIT: stats before stop " + before + "; " + summary.group());
    }

    @Test
    void sigusr1AndSigusr2LeaveTheDaemonServing() throws Exception {
        SbinInstall install = new SbinInstall(dir.resolve("root"));
        int port = startThroughSbin(install);
        long pid = started.get(0).pid();
        for (String name : List.of("USR1", "USR2")) {
            Signals.send(name, pid);
            assertTrue(Await.until(Duration.ofSeconds(5), () -> !started.get(0).isAlive() || log(install).contains("SIG" + name + " received")),
                    "no log line for SIG" + name);
            assertTrue(started.get(0).isAlive(), "SIG" + name + " stopped the daemon:\n" + log(install) + out(install));
        }
        try (RawClient client = new RawClient(port)) {
            assertEquals("STORED\r\n", client.call("set k 0 0 1\r\nv\r\n", "\r\n"));
            assertEquals("VALUE k 0 1\r\nv\r\nEND\r\n", client.call("get k\r\n", "END\r\n"));
        }
        KvproxyProcess.Result stop = install.run("stop", "-c", config(install).toString());
        assertEquals(0, stop.exitCode(), stop.output());
        assertTrue(log(install).contains("kvproxy stopping (SIGTERM received)"), log(install));
        // Lifecycle lines are INFO; a stop that finished everything says so at INFO too.
        assertEquals("[INFO ]", levelOf(log(install), "kvproxy stopping (SIGTERM received)"));
        assertEquals("[INFO ]", levelOf(log(install), "kvproxy stopped after"));
        assertEquals("[INFO ]", levelOf(log(install), " listening on "));
        assertFalse(Files.exists(install.pidFile()), "the pid file should be removed at exit");
    }

    @Test
    void sighupAfterTheLogWasMovedWritesANewLogFile() throws Exception {
        SbinInstall install = new SbinInstall(dir.resolve("root"));
        startThroughSbin(install);
        Path logFile = install.root().resolve("log/kvproxy.log");
        Path rotated = install.root().resolve("log/kvproxy.log.1");
        Files.move(logFile, rotated);
        Signals.send("HUP", started.get(0).pid());
        assertTrue(Await.until(Duration.ofSeconds(5), () -> log(install).contains("reopen the log file")),
                "no new log file after SIGHUP; the moved one ends:\n" + tail(rotated) + out(install));
        assertTrue(started.get(0).isAlive(), "SIGHUP stopped the daemon");

        KvproxyProcess.Result stop = install.run("stop", "-c", config(install).toString());
        assertEquals(0, stop.exitCode(), stop.output());
        assertTrue(log(install).contains("kvproxy stopped after"), "the stop went elsewhere than the new log:\n" + log(install));
        assertFalse(Files.readString(rotated).contains("kvproxy stopped after"), "the moved log still gets lines");
    }

    @Test
    void stopRefusesToKillAnotherProcessThePidFileNamesAndStartGoesAhead() throws Exception {
        SbinInstall install = new SbinInstall(dir.resolve("root"));
        startThroughSbin(install);
        ProcessHandle daemon = started.get(0);
        daemon.destroyForcibly();
        assertTrue(Await.until(Duration.ofSeconds(10), () -> !daemon.isAlive()), "kill -9 did not end the daemon");
        // Its pid file is left behind; say its pid now belongs to someone reading the log.
        Path logFile = install.root().resolve("log/kvproxy.log");
        ProcessHandle tail = new ProcessBuilder("tail", "-f", logFile.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().toHandle();
        started.add(tail);
        Files.writeString(install.pidFile(), tail.pid() + "\n");

        KvproxyProcess.Result stop = install.run("stop", "-c", config(install).toString());
        assertNotEquals(0, stop.exitCode(), stop.output());
        assertTrue(stop.output().contains("not killing it"), stop.output());
        assertTrue(tail.isAlive(), "sbin/kvproxy stop killed the tail: " + stop.output());

        KvproxyProcess.Result start = install.run("start", "-c", config(install).toString());
        assertEquals(0, start.exitCode(), start.output());
        assertTrue(start.output().contains("was stale"), start.output());
        ProcessHandle second = install.pidFileProcess().orElseThrow();
        started.add(second);
        assertNotEquals(tail.pid(), second.pid());
        KvproxyProcess.Result secondStop = install.run("stop", "-c", config(install).toString());
        assertEquals(0, secondStop.exitCode(), secondStop.output());
        assertTrue(Await.until(Duration.ofSeconds(5), () -> !second.isAlive()), "the restarted daemon did not stop");
        assertTrue(tail.isAlive(), "sbin/kvproxy stop killed the tail");
    }

    @Test
    void startNamesTheServersItCouldNotReachAndStartsAnyway() throws Exception {
        SbinInstall install = new SbinInstall(dir.resolve("root"));
        servers.add(MemcachedServer.start());
        MemcachedServer dead = MemcachedServer.start();
        dead.close();
        assertFalse(dead.isAlive(), "memcached " + dead.pid() + " still running");
        int port = MemcachedServer.freePort();
        Files.createDirectories(install.root().resolve("etc"));
        Files.writeString(config(install), KvproxyProcess.config(port, install.root().resolve("log"), "recv_timeout = 2000",
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + KvproxyProcess.cluster("master", List.of(servers.get(0), dead))));
        KvproxyProcess.Result start = install.run("start", "-c", config(install).toString());
        assertEquals(0, start.exitCode(), start.output());
        started.add(install.pidFileProcess().orElseThrow(() -> new IllegalStateException("no daemon after start: " + start.output())));
        assertTrue(start.output().contains("kvproxy start success."), start.output());
        assertTrue(start.output().contains("pool [memcached]: could not reach 1 of 2 servers: " + dead.address() + " ("), start.output());
        assertFalse(start.output().contains(servers.get(0).address()), "the live server is not named: " + start.output());
        try (RawClient client = new RawClient(port)) {
            assertEquals("VERSION", client.call("version\r\n", "\r\n").split(" ")[0], "the proxy serves");
        }
        KvproxyProcess.Result stop = install.run("stop", "-c", config(install).toString());
        assertEquals(0, stop.exitCode(), stop.output());
    }

    /** Starts memcached and, with {@code sbin/kvproxy start}, the daemon over it; returns the daemon's port. */
    private int startThroughSbin(SbinInstall install) throws Exception {
        servers.add(MemcachedServer.start());
        int port = MemcachedServer.freePort();
        Files.createDirectories(install.root().resolve("etc"));
        Files.writeString(config(install), KvproxyProcess.config(port, install.root().resolve("log"), "",
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + KvproxyProcess.cluster("master", servers)));
        KvproxyProcess.Result start = install.run("start", "-c", config(install).toString());
        assertEquals(0, start.exitCode(), start.output());
        started.add(install.pidFileProcess().orElseThrow(() -> new IllegalStateException("no daemon after start: " + start.output())));
        assertTrue(Await.until(Duration.ofSeconds(5), () -> log(install).contains("connected (worker")), "no backend connected:\n" + log(install));
        return port;
    }

    /** The level field ({@code [INFO ]}) of the first log line containing {@code text}. */
    private static String levelOf(String log, String text) {
        String line = log.lines().filter(l -> l.contains(text)).findFirst().orElseThrow(() -> new AssertionError("no line with \"" + text + "\" in:\n" + log));
        int start = line.indexOf(" [");
        return line.substring(start + 1, line.indexOf(']', start) + 1);
    }

    private static Path config(SbinInstall install) {
        // The default instance's file, whose pid file and output are log/kvproxy.pid and log/kvproxy.out.
        return install.root().resolve("etc/kvproxy.ini");
    }

    private static String log(SbinInstall install) {
        return read(install.root().resolve("log/kvproxy.log"));
    }

    private static String out(SbinInstall install) {
        return "\nkvproxy.out:\n" + read(install.root().resolve("log/kvproxy.out"));
    }

    private static String tail(Path file) {
        String text = read(file);
        return text.substring(Math.max(0, text.length() - 2000));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "<" + file + " unreadable: " + e + ">";
        }
    }

    /** Whether a new connect is refused now (rather than accepted, or left waiting). */
    private static boolean connectRefused(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void readReplies(RawClient client, int count, String reply) throws IOException {
        int seen = 0;
        while (seen < count) {
            String text = client.readUntil(reply);
            for (int at = text.indexOf(reply); at >= 0; at = text.indexOf(reply, at + reply.length())) {
                seen++;
            }
        }
    }

    private static long stat(int port, String name) {
        try {
            return stats(port).getOrDefault(name, -1L);
        } catch (IOException e) {
            return -1;
        }
    }

    private static Map<String, Long> stats(int port) throws IOException {
        Map<String, Long> values = new HashMap<>();
        try (RawClient client = new RawClient(port)) {
            for (String line : client.call("stats\r\n", "END\r\n").split("\r\n")) {
                String[] fields = line.split(" ");
                if (fields.length == 3 && fields[0].equals("STAT") && fields[2].matches("-?\\d+")) {
                    values.put(fields[1], Long.parseLong(fields[2]));
                }
            }
        }
        return values;
    }
}
