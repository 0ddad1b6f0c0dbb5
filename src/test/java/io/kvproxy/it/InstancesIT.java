package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances from one install, each with its own config file, driven through sbin/kvproxy over real
 * memcached servers: started, reloaded (applied and refused), restarted and stopped each without
 * touching the other, with pid file, log and output named after the config file.
 */
@Timeout(180)
class InstancesIT {

    @TempDir
    Path dir;
    final List<MemcachedServer> servers = new ArrayList<>();
    final List<ProcessHandle> started = new ArrayList<>();
    SbinInstall install;
    int portA;
    int portB;

    @AfterEach
    void stop() throws Exception {
        for (ProcessHandle process : started) {
            assertTrue(SbinInstall.end(process), "process " + process.pid() + " did not end");
        }
        KvproxyProcess.stopAll(null, servers);
    }

    @Test
    void twoInstancesStartReloadRestartAndStopIndependently() throws Exception {
        startBoth();
        ProcessHandle a = install.pidFileProcess("a").orElseThrow();
        ProcessHandle b = install.pidFileProcess("b").orElseThrow();
        assertNotEquals(a.pid(), b.pid());
        assertFalse(Files.exists(install.pidFile()), "no instance of etc/kvproxy.ini was started");

        KvproxyProcess.Result again = install.run("start", "-c", config("b").toString());
        assertNotEquals(0, again.exitCode(), again.output());
        assertTrue(again.output().contains("PID[" + b.pid() + "] kvproxy start fail"), again.output());

        KvproxyProcess.Result statusA = install.run("status", "-c", config("a").toString());
        assertEquals(0, statusA.exitCode(), statusA.output());
        assertTrue(statusA.output().contains("PID[" + a.pid() + "] kvproxy is running."), statusA.output());
        assertTrue(statusA.output().contains("Config generation [1] loaded ["), statusA.output());

        // Applied: a's log level, and nothing of b.
        Files.writeString(config("a"), Files.readString(config("a")).replace("log_level = info", "log_level = debug"));
        KvproxyProcess.Result reloadA = install.run("reload", "-c", config("a").toString());
        assertEquals(0, reloadA.exitCode(), reloadA.output() + log("a"));
        assertTrue(reloadA.output().contains("log_level info -> debug"), reloadA.output());
        assertTrue(reloadA.output().contains("PID[" + a.pid() + "] kvproxy reload success.generation 2"), reloadA.output());
        assertTrue(log("a").contains("[a] Reloader: reload 1 of " + config("a") + " applied: generation 2"), log("a"));
        assertGeneration("a", 2);
        assertGeneration("b", 1);
        assertFalse(log("b").contains("reload"), "b heard a's reload:\n" + log("b"));

        // Refused: b's thread count needs a restart, then a file made invalid; b serves on as it was.
        String bText = Files.readString(config("b"));
        Files.writeString(config("b"), bText.replace("thread_count = 2", "thread_count = 3"));
        KvproxyProcess.Result restartOnly = install.run("reload", "-c", config("b").toString());
        assertEquals(1, restartOnly.exitCode(), restartOnly.output());
        assertTrue(restartOnly.output().contains("[kvproxy] thread_count: 2 → 3 cannot change while kvproxy runs; restart"),
                restartOnly.output());
        Files.writeString(config("b"), bText.replace("port = " + portB, "port = 0") + "bogus = 1\n");
        KvproxyProcess.Result invalid = install.run("reload", "-c", config("b").toString());
        assertEquals(1, invalid.exitCode(), invalid.output());
        assertTrue(invalid.output().contains(config("b") + ":2: [kvproxy] port:"), invalid.output());
        assertTrue(invalid.output().contains("bogus"), invalid.output());
        assertTrue(log("b").contains("reload 2 of " + config("b") + " refused, nothing changed"), log("b"));
        // status finds the port in the file, so the file is put back first.
        Files.writeString(config("b"), bText);
        assertGeneration("b", 1);
        assertServes(portB, "b-after-refusal");
        assertServes(portA, "a-after-b-refusal");

        // restart without -c names no running instance: it refuses rather than start etc/kvproxy.ini.
        KvproxyProcess.Result bareRestart = install.run("restart");
        assertEquals(1, bareRestart.exitCode(), bareRestart.output());
        assertTrue(bareRestart.output().contains("-c " + config("b")), bareRestart.output());
        assertFalse(Files.exists(install.pidFile()), bareRestart.output());

        // restart -c b: b again from its own file, a untouched.
        KvproxyProcess.Result restartB = install.run("restart", "-c", config("b").toString());
        assertEquals(0, restartB.exitCode(), restartB.output());
        assertTrue(Await.until(Duration.ofSeconds(15), () -> !b.isAlive()), "the old b is still running");
        ProcessHandle newB = install.pidFileProcess("b").orElseThrow();
        started.add(newB);
        assertTrue(a.isAlive(), "restarting b stopped a");
        assertServes(portB, "b-restarted");

        KvproxyProcess.Result stopA = install.run("stop", "-c", config("a").toString());
        assertEquals(0, stopA.exitCode(), stopA.output());
        assertTrue(stopA.output().contains("PID[" + a.pid() + "] kvproxy stop success."), stopA.output());
        assertTrue(Await.until(Duration.ofSeconds(10), () -> !a.isAlive()), "a did not stop");
        assertFalse(Files.exists(install.pidFile("a")), "a's pid file outlived it");
        assertFalse(Files.exists(install.root().resolve("log/a.pid.reload")), "a's reload status outlived it");
        assertTrue(newB.isAlive(), "stopping a stopped b");
        assertServes(portB, "b-after-a-stopped");
        KvproxyProcess.Result stopB = install.run("stop", "-c", config("b").toString());
        assertEquals(0, stopB.exitCode(), stopB.output());
        assertTrue(Await.until(Duration.ofSeconds(10), () -> !newB.isAlive()), "b did not stop");
    }

    @Test
    void theDefaultInstanceKeepsItsFilesAndASecondFileOfItsNameIsRefused() throws Exception {
        servers.add(MemcachedServer.start());
        install = new SbinInstall(dir.resolve("root"));
        int port = MemcachedServer.freePort();
        Files.createDirectories(install.root().resolve("etc"));
        Files.writeString(install.root().resolve("etc/kvproxy.ini"), configText(port, servers.get(0)));
        KvproxyProcess.Result start = install.run("start");
        assertEquals(0, start.exitCode(), start.output());
        ProcessHandle daemon = install.pidFileProcess().orElseThrow(() -> new IllegalStateException(start.output()));
        started.add(daemon);
        assertTrue(Files.exists(install.root().resolve("log/kvproxy.out")));
        assertTrue(Await.until(Duration.ofSeconds(10), () -> log("kvproxy").contains("[kvproxy] Daemon: kvproxy")), log("kvproxy"));

        // Another kvproxy.ini would share log/kvproxy.pid: refused, the running one untouched.
        Path other = dir.resolve("elsewhere/kvproxy.ini");
        Files.createDirectories(other.getParent());
        Files.writeString(other, configText(MemcachedServer.freePort(), servers.get(0)));
        KvproxyProcess.Result clash = install.run("start", "-c", other.toString());
        assertEquals(1, clash.exitCode(), clash.output());
        assertTrue(clash.output().contains("another file name"), clash.output());
        assertEquals(daemon.pid(), install.pidFileProcess().orElseThrow().pid());

        KvproxyProcess.Result reload = install.run("reload");
        assertEquals(0, reload.exitCode(), reload.output());
        assertTrue(reload.output().contains("reload success.generation 2"), reload.output());
        KvproxyProcess.Result stop = install.run("stop");
        assertEquals(0, stop.exitCode(), stop.output());
        assertTrue(Await.until(Duration.ofSeconds(10), () -> !daemon.isAlive()), "the daemon did not stop");
    }

    private void startBoth() throws Exception {
        servers.add(MemcachedServer.start());
        servers.add(MemcachedServer.start());
        install = new SbinInstall(dir.resolve("root"));
        Files.createDirectories(install.root().resolve("etc"));
        portA = MemcachedServer.freePort();
        portB = MemcachedServer.freePort();
        Files.writeString(config("a"), configText(portA, servers.get(0)));
        Files.writeString(config("b"), configText(portB, servers.get(1)));
        for (String instance : List.of("a", "b")) {
            KvproxyProcess.Result start = install.run("start", "-c", config(instance).toString());
            assertEquals(0, start.exitCode(), start.output());
            started.add(install.pidFileProcess(instance).orElseThrow(() -> new IllegalStateException("no " + instance + ": " + start.output())));
            assertTrue(Files.exists(install.root().resolve("log/" + instance + ".out")), instance + " has no output file");
        }
        assertServes(portA, "a");
        assertServes(portB, "b");
        // Each log is its instance's own, every line marked with its name.
        assertTrue(log("a").contains("[a] Daemon: kvproxy") && !log("a").contains("[b]"), log("a"));
        assertTrue(log("b").contains("[b] Daemon: kvproxy") && !log("b").contains("[a]"), log("b"));
        assertFalse(Files.exists(install.root().resolve("log/kvproxy.log")), "an instance wrote the default log");
    }

    /** No log_path: the log is named after the config file. */
    private static String configText(int port, MemcachedServer server) {
        return "[kvproxy]\nport = " + port + "\nthread_count = 2\nrecv_timeout = 2000\nlog_level = info\n\n"
                + "[memcached]\nextension = memcached.jar\nhosts = master\n\n"
                + KvproxyProcess.cluster("master", List.of(server));
    }

    private void assertGeneration(String instance, int generation) throws Exception {
        KvproxyProcess.Result status = install.run("status", "-c", config(instance).toString());
        assertTrue(status.output().contains("Config generation [" + generation + "] loaded ["), instance + ": " + status.output());
    }

    /** A set and a get through the proxy on {@code port}, reaching its own memcached. */
    private static void assertServes(int port, String value) throws IOException {
        try (RawClient client = new RawClient(port)) {
            assertEquals("STORED\r\n", client.call("set k 0 0 " + value.length() + "\r\n" + value + "\r\n", "\r\n"));
            assertEquals("VALUE k 0 " + value.length() + "\r\n" + value + "\r\nEND\r\n", client.call("get k\r\n", "END\r\n"));
        }
    }

    private Path config(String instance) {
        return install.root().resolve("etc/" + instance + ".ini");
    }

    private String log(String instance) {
        Path file = install.root().resolve("log/" + instance + ".log");
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "<" + file + " unreadable: " + e + ">";
        }
    }
}
