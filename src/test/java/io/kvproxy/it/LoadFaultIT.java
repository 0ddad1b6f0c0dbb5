package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults under a steady pipelined load (three text clients and one binary): one server hangs (SIGSTOP) and resumes, another dies (SIGKILL) and
 * is restarted on its port. Every key is written once with a value of its own, so any read that is not
 * that value, a miss (data lost with a dead server or keys moved), or an error is a reply given to the
 * wrong request. Every request must get exactly one reply, and on time.
 */
@Timeout(120)
class LoadFaultIT {

    private static final int CLIENTS = 3;
    private static final int BATCH = 20;

    @TempDir
    Path dir;
    final List<MemcachedServer> servers = new ArrayList<>();
    KvproxyProcess proxy;

    @AfterEach
    void stop() throws Exception {
        for (MemcachedServer server : servers) {
            new ProcessBuilder("kill", "-CONT", Long.toString(server.pid())).start().waitFor();
        }
        if (proxy != null) {
            proxy.stop();
        }
        for (MemcachedServer server : servers) {
            server.close();
            assertTrue(!server.isAlive());
        }
    }

    @Test
    void everyRequestGetsOneRightReplyOrAnErrorWhileServersHangDieAndReturn() throws Exception {
        for (int i = 0; i < 3; i++) {
            servers.add(MemcachedServer.start());
        }
        int port = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir,
                "recv_timeout = 200\nfailover_threshold = 2\nfailover_interval = 1",
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + KvproxyProcess.cluster("master", servers)));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong hits = new AtomicLong();
        AtomicLong misses = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong slowestBatchMillis = new AtomicLong();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < CLIENTS; t++) {
            int client = t;
            Thread thread = new Thread(() -> {
                try (RawClient c = new RawClient(port)) {
                    for (int batch = 0; running.get(); batch++) {
                        StringBuilder requests = new StringBuilder();
                        for (int i = 0; i < BATCH; i++) {
                            String key = "lf:" + client + ":" + batch + ":" + i;
                            requests.append("set ").append(key).append(" 0 0 ").append(key.length()).append("\r\n").append(key).append("\r\n");
                            requests.append("get ").append(key).append("\r\n");
                        }
                        requests.append("version\r\n");
                        long started = System.nanoTime();
                        c.send(requests.toString());
                        String replies = c.readUntil("VERSION 1.6.18 kvproxy-0.1.0\r\n");
                        slowestBatchMillis.accumulateAndGet((System.nanoTime() - started) / 1_000_000, Math::max);
                        check(replies, client, batch, hits, misses, errors, wrong);
                    }
                } catch (IOException | RuntimeException e) {
                    wrong.add("client " + client + " failed: " + e);
                }
            }, "load-" + t);
            clients.add(thread);
            thread.start();
        }
        Thread binaryClient = new Thread(() -> binaryLoad(port, running, hits, misses, errors, slowestBatchMillis, wrong), "load-binary");
        clients.add(binaryClient);
        binaryClient.start();
        MemcachedServer hung = servers.get(1);
        MemcachedServer killed = servers.get(2);
        assertTrue(Await.until(Duration.ofSeconds(5), () -> hits.get() > 500));
        new ProcessBuilder("kill", "-STOP", Long.toString(hung.pid())).start().waitFor();
        long hitsBeforeHang = hits.get();
        assertTrue(Await.until(Duration.ofSeconds(10), () -> proxy.log().contains("server " + hung.address() + " ejected")), proxy.log());
        assertTrue(Await.until(Duration.ofSeconds(5), () -> hits.get() > hitsBeforeHang + 500), "healthy shards keep serving");
        new ProcessBuilder("kill", "-CONT", Long.toString(hung.pid())).start().waitFor();
        assertTrue(Await.until(Duration.ofSeconds(10), () -> proxy.log().contains("server " + hung.address() + " rejoined")), proxy.log());
        new ProcessBuilder("kill", "-KILL", Long.toString(killed.pid())).start().waitFor();
        assertTrue(Await.until(Duration.ofSeconds(10), () -> proxy.log().contains("server " + killed.address() + " ejected")), proxy.log());
        servers.set(2, MemcachedServer.start(killed.port()));
        assertTrue(Await.until(Duration.ofSeconds(10), () -> proxy.log().contains("server " + killed.address() + " rejoined")), proxy.log());
        long hitsAfterRestart = hits.get();
        assertTrue(Await.until(Duration.ofSeconds(5), () -> hits.get() > hitsAfterRestart + 500));
        running.set(false);
        for (Thread thread : clients) {
            thread.join(10_000);
        }
        System.out.printf("LoadFaultIT: %d hits, %d misses, %d errors, 0 wrong; slowest batch of %d requests %d ms%n",
                hits.get(), misses.get(), errors.get(), BATCH * 2 + 1, slowestBatchMillis.get());
        assertEquals(List.of(), List.copyOf(wrong));
        assertTrue(errors.get() > 0, "the faults should have produced errors");
        // A batch is one write of 41 requests; with recv_timeout 200 ms a hung server delays it by about that.
        assertTrue(slowestBatchMillis.get() < 3000, "slowest batch " + slowestBatchMillis.get() + " ms");
    }

    /** A binary client: batches of SET and GETK per key, then NOOP; each reply checked by its opaque. */
    private static void binaryLoad(int port, AtomicBoolean running, AtomicLong hits, AtomicLong misses, AtomicLong errors,
                                   AtomicLong slowestBatchMillis, ConcurrentLinkedQueue<String> wrong) {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            java.io.InputStream in = socket.getInputStream();
            for (int batch = 0; running.get(); batch++) {
                java.io.ByteArrayOutputStream requests = new java.io.ByteArrayOutputStream();
                int opaque = batch * 1000;
                for (int i = 0; i < BATCH; i++) {
                    String key = "lfb:" + batch + ":" + i;
                    requests.writeBytes(BinaryPackets.request(BinaryPackets.SET, BinaryPackets.flagsAndExpiry(0, 0), key, key, opaque + 2 * i));
                    requests.writeBytes(BinaryPackets.request(BinaryPackets.GETK, new byte[0], key, "", opaque + 2 * i + 1));
                }
                requests.writeBytes(BinaryPackets.request(BinaryPackets.NOOP, new byte[0], "", "", opaque + 999));
                long started = System.nanoTime();
                socket.getOutputStream().write(requests.toByteArray());
                List<BinaryPackets.Reply> replies = BinaryPackets.readUntilOpaque(in, opaque + 999);
                slowestBatchMillis.accumulateAndGet((System.nanoTime() - started) / 1_000_000, Math::max);
                if (replies.size() != 2 * BATCH + 1) {
                    wrong.add("binary batch " + batch + ": " + replies.size() + " replies");
                    return;
                }
                for (int i = 0; i < BATCH; i++) {
                    String key = "lfb:" + batch + ":" + i;
                    BinaryPackets.Reply set = replies.get(2 * i);
                    BinaryPackets.Reply get = replies.get(2 * i + 1);
                    if (set.opaque() != opaque + 2 * i || (set.status() != 0 && set.status() != 0x86)) {
                        wrong.add(key + " binary set: " + set);
                    }
                    if (get.opaque() != opaque + 2 * i + 1) {
                        wrong.add(key + " binary get has another request's opaque: " + get);
                    } else if (get.status() == 0 && get.key().equals(key) && get.value().equals(key)) {
                        hits.incrementAndGet();
                    } else if (get.status() == 1) {
                        misses.incrementAndGet();
                    } else if (get.status() == 0x86) {
                        errors.incrementAndGet();
                    } else {
                        wrong.add(key + " binary get: " + get);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            wrong.add("binary client failed: " + e);
        }
    }

    /** Checks a batch's replies: per key, a set reply then a get reply, each of the allowed kinds. */
    private static void check(String replies, int client, int batch, AtomicLong hits, AtomicLong misses, AtomicLong errors,
                              ConcurrentLinkedQueue<String> wrong) {
        String[] lines = replies.split("\r\n");
        int at = 0;
        for (int i = 0; i < BATCH; i++) {
            String key = "lf:" + client + ":" + batch + ":" + i;
            String set = lines[at++];
            if (!set.equals("STORED") && !set.startsWith("SERVER_ERROR backend ")) {
                wrong.add(key + " set answered " + set);
                return;
            }
            String get = lines[at++];
            if (get.equals("VALUE " + key + " 0 " + key.length())) {
                if (!lines[at++].equals(key) || !lines[at++].equals("END")) {
                    wrong.add(key + " read a wrong value");
                    return;
                }
                hits.incrementAndGet();
            } else if (get.equals("END")) {
                misses.incrementAndGet();
            } else if (get.startsWith("SERVER_ERROR backend ")) {
                errors.incrementAndGet();
            } else {
                wrong.add(key + " get answered " + get);
                return;
            }
            if (set.startsWith("SERVER_ERROR")) {
                errors.incrementAndGet();
            }
        }
        if (!lines[at].equals("VERSION 1.6.18 kvproxy-0.1.0") || at != lines.length - 1) {
            wrong.add("batch " + client + "/" + batch + " has " + (lines.length - at - 1) + " replies too many");
        }
    }
}
