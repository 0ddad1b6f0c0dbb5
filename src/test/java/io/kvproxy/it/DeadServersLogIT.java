package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Servers that are down do not flood the log: three dead servers among four, for 30 s of traffic at
 * {@code log_level = info}, make at most 10 lines that name them (the start line that lists them, one
 * ejection each, a summary a minute at most), and the start names them on the terminal while the proxy
 * serves with the live one.
 */
class DeadServersLogIT {

    static final long RUN_NANOS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path dir;
    final List<MemcachedServer> servers = new ArrayList<>();
    KvproxyProcess kvproxy;

    @AfterEach
    void stop() throws InterruptedException {
        KvproxyProcess.stopAll(kvproxy, servers);
    }

    @Test
    @Timeout(120)
    void threeDeadServersForThirtySecondsMakeAtMostTenLines() throws Exception {
        for (int i = 0; i < 4; i++) {
            servers.add(MemcachedServer.start());
        }
        List<String> dead = new ArrayList<>();
        for (MemcachedServer server : servers.subList(1, 4)) {
            dead.add(server.address());
            server.close();
            assertFalse(server.isAlive(), "memcached " + server.address() + " still running");
        }
        int port = MemcachedServer.freePort();
        kvproxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "recv_timeout = 2000",
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + KvproxyProcess.cluster("master", servers)));

        String startLine = kvproxy.output().lines().filter(line -> line.contains(" could not reach ")).findFirst().orElse("");
        assertTrue(startLine.contains("could not reach 3 of 4 servers"), "the start names the dead servers: " + kvproxy.output());
        for (String address : dead) {
            assertTrue(startLine.contains(address), address + " named at start: " + startLine);
        }
        assertFalse(startLine.contains(servers.get(0).address()), "the live one is not named: " + startLine);

        // Traffic all along: keys of every server, the dead ones' answered with errors until they are ejected.
        long end = System.nanoTime() + RUN_NANOS;
        int stored = 0;
        try (RawClient client = new RawClient(port)) {
            for (int i = 0; System.nanoTime() < end; i++) {
                String reply = client.call("set log" + (i % 50) + " 0 0 1\r\nv\r\n", "\r\n");
                stored += reply.equals("STORED\r\n") ? 1 : 0;
                Thread.sleep(20);
            }
        }
        assertTrue(stored > 0, "the live server takes the keys the ring gives it");

        List<String> aboutDead = new ArrayList<>();
        for (String line : kvproxy.log().split("\n")) {
            if (dead.stream().anyMatch(line::contains)) {
                aboutDead.add(line);
            }
        }
        System.out.println("DeadServersLogIT: " + aboutDead.size() + " lines about the dead servers in 30 s:\n" + String.join("\n", aboutDead));
        assertTrue(aboutDead.size() <= 10, aboutDead.size() + " lines about the dead servers:\n" + String.join("\n", aboutDead));
        for (String address : dead) {
            assertEquals(1, aboutDead.stream().filter(line -> line.contains("server " + address + " ejected")).count(),
                    "one ejection line for " + address + ":\n" + String.join("\n", aboutDead));
        }
    }
}
