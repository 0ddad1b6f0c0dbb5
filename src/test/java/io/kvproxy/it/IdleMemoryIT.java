package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
 * What the daemon costs at idle, what an idle client connection adds, and that opening and closing many
 * does not ratchet its memory: resident memory (VmRSS from /proc) of the real daemon, run with the JVM
 * options of {@code etc/jvm.options} as {@code sbin/kvproxy} runs it, alone and over 5,000 connections that
 * each made a request (half text, half binary) and then went idle.
 */
@Timeout(300)
class IdleMemoryIT {

    private static final int CONNECTIONS = 5_000;
    private static final long MAX_BYTES_PER_IDLE_CONNECTION = 8 * 1024;
    private static final long MAX_IDLE_RSS_BYTES = 48L * 1024 * 1024;
    private static final long MAX_CHURN_GROWTH_BYTES = 32L * 1024 * 1024;
    private static final int CHURN_ROUNDS = 10;

    @TempDir
    Path dir;
    private final List<MemcachedServer> servers = new ArrayList<>();
    private KvproxyProcess proxy;

    @AfterEach
    void stop() throws Exception {
        KvproxyProcess.stopAll(proxy, servers);
    }

    private void startProxy() throws Exception {
        for (int i = 0; i < 2; i++) {
            servers.add(MemcachedServer.start());
        }
        int port = MemcachedServer.freePort();
        // Memory caps as sbin/kvproxy runs the daemon; descriptors for 5,000 clients and more.
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "thread_count = 2\nrecv_timeout = 3000",
                        "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + KvproxyProcess.cluster("master", servers)),
                List.of("prlimit", "--nofile=16384:16384"));
    }

    @Test
    void idleConnectionsHoldNoBuffers() throws Exception {
        startProxy();
        try (RawClient monitor = new RawClient(proxy.port())) {
            // Idle: started, its backends connected, one client served. Resident memory settles within
            // seconds of the start (the JIT finishes the start-up code, the C library returns what it freed).
            assertEquals("STORED\r\n", monitor.call("set idle:warm 0 0 1\r\nx\r\n", "\r\n"));
            long[] idleRss = {Long.MAX_VALUE};
            Await.until(Duration.ofSeconds(20), () -> {
                idleRss[0] = Math.min(idleRss[0], rssBytes());
                return idleRss[0] <= MAX_IDLE_RSS_BYTES;
            });
            System.out.printf("IdleMemoryIT: RSS %d KiB at idle%n", idleRss[0] / 1024);
            assertTrue(idleRss[0] <= MAX_IDLE_RSS_BYTES, "RSS at idle never fell to " + MAX_IDLE_RSS_BYTES / 1024
                    + " KiB within 20 s: lowest " + idleRss[0] / 1024 + " KiB");
            // One short round first, so that what is measured is connections, not the JVM warming up.
            closeAll(openWithOneRequestEach(500));
            awaitClients(monitor, 1);
            long before = rssBytes();
            List<Socket> idle = openWithOneRequestEach(CONNECTIONS);
            try {
                awaitClients(monitor, CONNECTIONS + 1);
                long with = rssBytes();
                long perConnection = (with - before) / CONNECTIONS;
                System.out.printf("IdleMemoryIT: RSS %d KiB before, %d KiB with %d idle connections: %d bytes each%n",
                        before / 1024, with / 1024, CONNECTIONS, perConnection);
                assertTrue(perConnection < MAX_BYTES_PER_IDLE_CONNECTION,
                        perConnection + " bytes of RSS per idle connection (" + before / 1024 + " KiB before, "
                                + with / 1024 + " KiB with " + CONNECTIONS + ")");
                // Still connections, not just memory: every one of them is served again.
                assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", call(idle.get(0), "version\r\n"));
                assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", call(idle.get(CONNECTIONS - 2), "version\r\n"));
            } finally {
                closeAll(idle);
            }
        }
    }

    @Test
    void connectionChurnDoesNotRatchetMemory() throws Exception {
        startProxy();
        try (RawClient monitor = new RawClient(proxy.port())) {
            List<Long> afterRound = new ArrayList<>();
            for (int round = 0; round < CHURN_ROUNDS; round++) {
                closeAll(openWithOneRequestEach(CONNECTIONS));
                awaitClients(monitor, 1);
                afterRound.add(rssBytes());
            }
            List<Long> mib = afterRound.stream().map(bytes -> bytes / (1024 * 1024)).toList();
            System.out.println("IdleMemoryIT: RSS MiB after each round of " + CONNECTIONS + " connections: " + mib);
            long growth = afterRound.get(CHURN_ROUNDS - 1) - afterRound.get(0);
            assertTrue(growth < MAX_CHURN_GROWTH_BYTES, "RSS grew by " + growth / 1024 + " KiB from round 1 to round "
                    + CHURN_ROUNDS + " (MiB after each round: " + mib + ")");
            assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", monitor.call("version\r\n", "\r\n"));
        }
    }

    /**
     * Opens {@code count} connections; each makes one request and reads its reply: text ones a set or a get
     * (hit or miss), binary ones a GETK, so that both sessions and their per-request entries have been used.
     */
    private List<Socket> openWithOneRequestEach(int count) throws IOException {
        List<Socket> sockets = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                Socket socket = new Socket();
                sockets.add(socket);
                socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 5000);
                socket.setSoTimeout(10_000);
                String key = "idle:" + (i % 100);
                if (i % 2 == 1) {
                    socket.getOutputStream().write(BinaryPackets.request(BinaryPackets.GETK, new byte[0], key, "", i));
                    BinaryPackets.Reply reply = BinaryPackets.read(socket.getInputStream());
                    assertEquals(i, reply.opaque(), reply.toString());
                } else if (i % 4 == 0) {
                    assertEquals("STORED\r\n", call(socket, "set " + key + " 0 0 5\r\nvalue\r\n"));
                } else {
                    String reply = callUntil(socket, "get " + key + "\r\n", "\r\n");
                    if (reply.startsWith("VALUE")) {
                        reply += callUntil(socket, "", "END\r\n");
                    }
                    assertTrue(reply.endsWith("END\r\n"), reply);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            closeAll(sockets);
            throw e;
        }
        return sockets;
    }

    private static String call(Socket socket, String request) throws IOException {
        return callUntil(socket, request, "\r\n");
    }

    private static String callUntil(Socket socket, String request, String suffix) throws IOException {
        if (!request.isEmpty()) {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
        }
        InputStream in = socket.getInputStream();
        StringBuilder reply = new StringBuilder();
        while (reply.length() < suffix.length() || !reply.toString().endsWith(suffix)) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + reply);
            }
            reply.append((char) b);
        }
        return reply.toString();
    }

    private static void closeAll(List<Socket> sockets) throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    private void awaitClients(RawClient monitor, int expected) throws Exception {
        String wanted = "Number of client connection [" + expected + "]";
        assertTrue(Await.until(Duration.ofSeconds(30), () -> {
            try {
                return monitor.call("status\r\n", "\n\n").contains(wanted);
            } catch (IOException e) {
                throw new IllegalStateException("status failed", e);
            }
        }), () -> "never saw " + wanted);
    }

    /** The daemon's resident memory now (VmRSS of /proc/PID/status). */
    private long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + proxy.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + proxy.pid() + "/status", e);
        }
        throw new IllegalStateException("no VmRSS for pid " + proxy.pid());
    }
}
