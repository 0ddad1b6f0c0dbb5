package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Ring;
import io.kvproxy.route.RingNode;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads under load: four clients (three text, one binary) pipeline against two pools while the
 * configuration is reloaded 21 times, by SIGHUP: servers added, removed, re-weighted and moved to another
 * address, recv_timeout changed and back, a third pool added (and used by a fifth client) and removed,
 * and one invalid file among them. No request fails, no reply is wrong, no connection of a pool that
 * stays drops; the removed pool's client is answered and then disconnected; a refused file changes
 * nothing; and after each reload every key is written where the new ring says.
 */
@Timeout(240)
class ReloadIT {

    private static final int SERVERS = 6;
    private static final int PIPELINE = 16;

    @TempDir
    Path dir;
    final List<MemcachedServer> servers = new ArrayList<>();
    KvproxyProcess proxy;
    final AtomicBoolean running = new AtomicBoolean(true);
    final List<Thread> clients = new ArrayList<>();
    final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong misses = new AtomicLong();
    int port;
    int sessionsPort;
    int extraPort;
    /** The client of the third pool: it is to be disconnected, after its replies, when that pool goes. */
    final AtomicBoolean extraClosed = new AtomicBoolean();
    final AtomicBoolean removedPool = new AtomicBoolean();

    /** A server of a cluster: which of the test's servers, its ring id and weight. */
    record Member(int server, String id, int weight) {
    }

    /**
     * One configuration: the clusters of the two pools, recv_timeout, whether a third pool is there, or a
     * file kvproxy must refuse.
     */
    record Generation(String what, List<Member> front, List<Member> store, boolean invalid, int recvTimeout, boolean extra) {

        Generation(String what, List<Member> front, List<Member> store, boolean invalid) {
            this(what, front, store, invalid, 2000, false);
        }

        Generation with(int timeout, boolean extraPool) {
            return new Generation(what, front, store, invalid, timeout, extraPool);
        }
    }

    @AfterEach
    void stop() throws Exception {
        running.set(false);
        for (Thread client : clients) {
            client.join(10_000);
        }
        if (proxy != null) {
            proxy.stop();
        }
        for (MemcachedServer server : servers) {
            server.close();
        }
    }

    private String config(Generation generation) {
        StringBuilder text = new StringBuilder("[memcached]\nextension = memcached.jar\nhosts = front\n\n"
                + "[sessions]\nextension = memcached.jar\nlisten = 127.0.0.1:" + sessionsPort + "\nhosts = store\nhash = fnv1a_64\n\n");
        if (generation.extra()) {
            text.append("[extra]\nextension = memcached.jar\nlisten = 127.0.0.1:" + extraPort + "\nhosts = spare\n\n");
            text.append(cluster("spare", List.of(m(5, "x", 100)), false));
        }
        text.append(cluster("front", generation.front(), generation.invalid()));
        text.append(cluster("store", generation.store(), false));
        return KvproxyProcess.config(port, dir, "recv_timeout = " + generation.recvTimeout() + "\nfailover_threshold = 1000", text.toString());
    }

    private String cluster(String name, List<Member> members, boolean invalid) {
        StringBuilder text = new StringBuilder("[" + name + "]\n");
        for (Member member : members) {
            text.append(servers.get(member.server()).address()).append(" = \"").append(member.id()).append(':')
                    .append(invalid ? "-1" : Integer.toString(member.weight())).append("\"\n");
        }
        return text.append('\n').toString();
    }

    private static Ring ring(List<Member> members, HashFunction hash) {
        List<RingNode> nodes = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            nodes.add(new RingNode(members.get(i).id(), members.get(i).weight(), i));
        }
        return Ring.build(Distribution.KETAMA, hash, null, nodes);
    }

    private static Member m(int server, String id, int weight) {
        return new Member(server, id, weight);
    }

    /** 20 reloads after the first file: each changes something a live reload can change, one is invalid. */
    private static List<Generation> generations() {
        List<Generation> all = new ArrayList<>();
        List<Member> store = List.of(m(4, "s1", 100));
        all.add(new Generation("start", List.of(m(0, "a", 100), m(1, "b", 100)), store, false));
        all.add(new Generation("add a server", List.of(m(0, "a", 100), m(1, "b", 100), m(2, "c", 100)), store, false));
        all.add(new Generation("re-weight", List.of(m(0, "a", 100), m(1, "b", 300), m(2, "c", 100)), store, false));
        all.add(new Generation("remove a server", List.of(m(0, "a", 100), m(2, "c", 100)), store, false));
        all.add(new Generation("a bad weight: refused", List.of(m(0, "a", 100), m(1, "b", 100)), store, true));
        all.add(new Generation("move c to another address", List.of(m(0, "a", 100), m(3, "c", 100)), store, false));
        all.add(new Generation("second pool grows", List.of(m(0, "a", 100), m(3, "c", 100)), List.of(m(4, "s1", 100), m(5, "s2", 100)), false));
        all.add(new Generation("b back", List.of(m(0, "a", 100), m(1, "b", 100), m(3, "c", 100)), List.of(m(4, "s1", 100), m(5, "s2", 100)), false));
        all.add(new Generation("second pool re-weighted", List.of(m(0, "a", 100), m(1, "b", 100), m(3, "c", 100)),
                List.of(m(4, "s1", 50), m(5, "s2", 150)), false));
        all.add(new Generation("renamed ids", List.of(m(0, "a2", 100), m(1, "b", 100), m(3, "c", 100)), List.of(m(4, "s1", 50), m(5, "s2", 150)), false));
        all.add(new Generation("c moves back", List.of(m(0, "a2", 100), m(1, "b", 100), m(2, "c", 100)), List.of(m(4, "s1", 50), m(5, "s2", 150)), false));
        all.add(new Generation("one server left", List.of(m(1, "b", 100)), List.of(m(5, "s2", 100)), false));
        all.add(new Generation("all back", List.of(m(0, "a", 100), m(1, "b", 100), m(2, "c", 100), m(3, "d", 100)), List.of(m(4, "s1", 100), m(5, "s2", 100)), false));
        all.add(new Generation("weights spread", List.of(m(0, "a", 10), m(1, "b", 200), m(2, "c", 50), m(3, "d", 100)), List.of(m(4, "s1", 100), m(5, "s2", 100)), false));
        all.add(new Generation("d out", List.of(m(0, "a", 10), m(1, "b", 200), m(2, "c", 50)), List.of(m(4, "s1", 100), m(5, "s2", 100)), false));
        all.add(new Generation("second pool swaps", List.of(m(0, "a", 10), m(1, "b", 200), m(2, "c", 50)), List.of(m(5, "s2", 100), m(3, "s3", 100)), false));
        all.set(all.size() - 1, all.get(all.size() - 1).with(800, false));
        all.add(new Generation("a third pool", List.of(m(0, "a", 10), m(1, "b", 200), m(2, "c", 50)), List.of(m(5, "s2", 100), m(3, "s3", 100)),
                false).with(800, true));
        all.add(new Generation("weights even", List.of(m(0, "a", 100), m(1, "b", 100), m(2, "c", 100)), List.of(m(5, "s2", 100), m(3, "s3", 100)), false));
        all.set(all.size() - 1, all.get(all.size() - 1).with(2000, true));
        all.add(new Generation("a out", List.of(m(1, "b", 100), m(2, "c", 100)), List.of(m(5, "s2", 100), m(3, "s3", 100)), false));
        all.add(new Generation("a in", List.of(m(0, "a", 100), m(1, "b", 100), m(2, "c", 100)), List.of(m(5, "s2", 100), m(3, "s3", 100)), false));
        all.add(new Generation("same file", List.of(m(0, "a", 100), m(1, "b", 100), m(2, "c", 100)), List.of(m(5, "s2", 100), m(3, "s3", 100)), false));
        all.add(new Generation("last", List.of(m(0, "a", 100), m(2, "c", 100)), List.of(m(4, "s1", 100)), false));
        return all;
    }

    @Test
    void twentyReloadsUnderLoadFailNoRequestAndPlaceEveryKeyAsTheNewRingSays() throws Exception {
        for (int i = 0; i < SERVERS; i++) {
            servers.add(MemcachedServer.start());
        }
        port = MemcachedServer.freePort();
        sessionsPort = MemcachedServer.freePort();
        extraPort = MemcachedServer.freePort();
        List<Generation> generations = generations();
        proxy = KvproxyProcess.start(dir, port, config(generations.get(0)));
        assertTrue(Await.until(Duration.ofSeconds(10), () -> MemcachedServer.accepts(sessionsPort)), proxy.log());
        startClient("text-1", port, false);
        startClient("text-2", port, false);
        startClient("binary", port, true);
        startClient("sessions", sessionsPort, false);

        Generation applied = generations.get(0);
        for (int g = 1; g < generations.size(); g++) {
            Generation next = generations.get(g);
            long before = requests.get();
            assertTrue(Await.until(Duration.ofSeconds(10), () -> requests.get() > before + 200), "clients stalled before " + next.what());
            int reloads = outcomes(proxy.log());
            Files.writeString(dir.resolve("kvproxy.ini"), config(next));
            if (!next.invalid() && !next.extra() && applied.extra()) {
                // From this reload on, the third pool's client is to be answered, then disconnected.
                removedPool.set(true);
            }
            Signals.send("HUP", proxy.pid());
            assertTrue(Await.until(Duration.ofSeconds(15), () -> outcomes(proxy.log()) > reloads),
                    "reload " + g + " (" + next.what() + ") not answered:\n" + proxy.log());
            if (next.invalid()) {
                assertTrue(proxy.log().contains("reload " + g + " of " + dir.resolve("kvproxy.ini") + " refused, nothing changed"), proxy.log());
            } else {
                if (next.extra() && !applied.extra()) {
                    assertTrue(Await.until(Duration.ofSeconds(5), () -> MemcachedServer.accepts(extraPort)), "pool extra not listening");
                    startClient("extra", extraPort, false);
                }
                if (!next.extra() && applied.extra()) {
                    assertTrue(Await.until(Duration.ofSeconds(10), extraClosed::get), "the removed pool's client was not disconnected: " + problems + "\n" + proxy.log().lines().filter(l -> l.contains("reload") || l.contains("extra") || l.contains("ERROR")).toList());
                    assertTrue(Await.until(Duration.ofSeconds(5), () -> !MemcachedServer.accepts(extraPort)), "pool extra still listening");
                }
                applied = next;
            }
            try (RawClient c = new RawClient(port)) {
                String status = c.call("status\r\n", "\n\n");
                assertTrue(status.contains("Read timeout of backend connection [" + applied.recvTimeout() + "ms]"), status);
            }
            assertPlacement(applied, "after reload " + g + " (" + next.what() + ")");
        }
        running.set(false);
        for (Thread client : clients) {
            client.join(10_000);
        }
        System.out.println("ReloadIT: " + requests.get() + " requests over " + (generations.size() - 1) + " reloads, "
                + misses.get() + " gets missed a key whose server changed between its set and its get");
        proxy.log().lines().filter(line -> line.contains("reload ") || line.contains("left the pool")).limit(60)
                .forEach(line -> System.out.println("ReloadIT log: " + line));
        assertEquals(List.of(), List.copyOf(problems));
        assertTrue(requests.get() > 20 * 200);
    }

    /**
     * A server is put in the ring only once every worker is connected to it: one added while it is down
     * joins out of the ring (its keys stay on the servers that have them) and comes in once it answers a
     * probe, as an ejected server does.
     */
    @Test
    void aServerAddedWhileDownJoinsOutOfTheRingAndComesInOnceItAnswers() throws Exception {
        servers.add(MemcachedServer.start());
        int downPort = MemcachedServer.freePort();
        port = MemcachedServer.freePort();
        sessionsPort = MemcachedServer.freePort();
        Path file = dir.resolve("kvproxy.ini");
        String one = "[memcached]\nextension = memcached.jar\nhosts = front\n\n[front]\n" + servers.get(0).address() + " = \"a:100\"\n";
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "recv_timeout = 2000\nconnect_timeout = 300\nfailover_interval = 1", one));
        Files.writeString(file, KvproxyProcess.config(port, dir, "recv_timeout = 2000\nconnect_timeout = 300\nfailover_interval = 1",
                one + "127.0.0.1:" + downPort + " = \"b:100\"\n"));
        Signals.send("HUP", proxy.pid());
        assertTrue(Await.until(Duration.ofSeconds(10), () -> outcomes(proxy.log()) == 1), proxy.log());
        assertTrue(proxy.log().contains("server 127.0.0.1:" + downPort + " added out of the ring"), proxy.log());
        try (RawClient c = new RawClient(port)) {
            for (int i = 0; i < 100; i++) {
                assertEquals("STORED\r\n", c.call("set down" + i + " 0 0 1\r\nx\r\n", "\r\n"), "a key of the down server failed");
            }
        }
        servers.add(MemcachedServer.start(downPort));
        assertTrue(Await.until(Duration.ofSeconds(15), () -> proxy.log().contains("server 127.0.0.1:" + downPort + " rejoined")), proxy.log());
        List<Member> both = List.of(m(0, "a", 100), m(1, "b", 100));
        Ring ring = ring(both, HashFunction.MD5);
        try (RawClient c = new RawClient(port)) {
            for (int i = 0; i < 50; i++) {
                String key = "after" + i;
                assertEquals("STORED\r\n", c.call("set " + key + " 0 0 1\r\ny\r\n", "\r\n"));
                int owner = ring.serverFor(key.getBytes(StandardCharsets.US_ASCII));
                assertTrue(holds(servers.get(owner), key), key + " is not on " + both.get(owner));
            }
        }
    }

    /** Reloads the log says are over, applied or refused. */
    private static int outcomes(String log) {
        return (int) log.lines().filter(line -> line.matches(".*reload [0-9]+ of .* (applied|refused).*")).count();
    }

    /** Fresh keys written through each pool land on the server its new ring names, and only there. */
    private void assertPlacement(Generation generation, String when) throws Exception {
        Ring front = ring(generation.front(), HashFunction.MD5);
        Ring store = ring(generation.store(), HashFunction.FNV1A_64);
        for (Object[] pool : new Object[][] {{port, front, generation.front()}, {sessionsPort, store, generation.store()}}) {
            Ring ring = (Ring) pool[1];
            @SuppressWarnings("unchecked")
            List<Member> members = (List<Member>) pool[2];
            try (RawClient c = new RawClient((int) pool[0])) {
                for (int i = 0; i < 10; i++) {
                    String key = "placed:" + when.hashCode() + ":" + pool[0] + ":" + i;
                    assertEquals("STORED\r\n", c.call("set " + key + " 0 0 1\r\np\r\n", "\r\n"), key + " " + when);
                    int owner = ring.serverFor(key.getBytes(StandardCharsets.US_ASCII));
                    for (int s = 0; s < members.size(); s++) {
                        boolean holds = holds(servers.get(members.get(s).server()), key);
                        assertEquals(s == owner, holds, key + " " + when + ": on " + members.get(s) + " (the ring says " + members.get(owner) + ")");
                    }
                }
            }
        }
    }

    private static boolean holds(MemcachedServer server, String key) throws IOException {
        try (RawClient direct = new RawClient(server.port())) {
            return direct.call("get " + key + "\r\n", "END\r\n").startsWith("VALUE");
        }
    }

    private void startClient(String name, int target, boolean binary) {
        Thread thread = new Thread(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", target));
                socket.setSoTimeout(10_000);
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                HistoryClient.TextReplies replies = binary ? null : new HistoryClient.TextReplies(in);
                long seq = 0;
                while (running.get()) {
                    List<String> keys = new ArrayList<>();
                    StringBuilder text = new StringBuilder();
                    java.io.ByteArrayOutputStream packets = new java.io.ByteArrayOutputStream();
                    for (int i = 0; i < PIPELINE / 2; i++) {
                        String key = name + ":" + seq++;
                        keys.add(key);
                        if (binary) {
                            packets.write(BinaryPackets.request(0x01, BinaryPackets.flagsAndExpiry(0, 0), key, "v" + key, 2 * i));
                            packets.write(BinaryPackets.request(0x00, new byte[0], key, "", 2 * i + 1));
                        } else {
                            text.append("set ").append(key).append(" 0 0 ").append(key.length() + 1).append("\r\nv").append(key).append("\r\n");
                            text.append("get ").append(key).append("\r\n");
                        }
                    }
                    out.write(binary ? packets.toByteArray() : text.toString().getBytes(StandardCharsets.US_ASCII));
                    if (binary) {
                        checkBinary(name, in, keys);
                    } else {
                        checkText(name, replies, keys);
                    }
                    requests.addAndGet(PIPELINE);
                }
            } catch (IOException | RuntimeException e) {
                if (target == extraPort && removedPool.get()) {
                    extraClosed.set(true);
                } else if (running.get()) {
                    problems.add(name + ": connection lost: " + e);
                }
            }
        }, "reload-client-" + name);
        clients.add(thread);
        thread.start();
    }

    private void checkText(String name, HistoryClient.TextReplies replies, List<String> keys) throws IOException {
        for (String key : keys) {
            String stored = replies.line();
            if (!stored.equals("STORED")) {
                problems.add(name + ": set " + key + " answered " + stored);
            }
            java.util.Map<String, String> got = replies.multiGet(List.of(key));
            if (got == null) {
                problems.add(name + ": get " + key + " answered an error");
            } else if (got.isEmpty()) {
                misses.incrementAndGet();
            } else if (!("v" + key).equals(got.get(key))) {
                problems.add(name + ": get " + key + " answered " + got);
            }
        }
    }

    private void checkBinary(String name, InputStream in, List<String> keys) throws IOException {
        for (int i = 0; i < keys.size(); i++) {
            BinaryPackets.Reply set = BinaryPackets.read(in);
            if (set.opaque() != 2 * i || set.status() != 0) {
                problems.add(name + ": set " + keys.get(i) + " answered " + set);
            }
            BinaryPackets.Reply get = BinaryPackets.read(in);
            if (get.opaque() != 2 * i + 1) {
                problems.add(name + ": get " + keys.get(i) + " answered " + get);
            } else if (get.status() == 1) {
                misses.incrementAndGet();
            } else if (get.status() != 0 || !("v" + keys.get(i)).equals(get.value())) {
                problems.add(name + ": get " + keys.get(i) + " answered " + get);
            }
        }
    }
}
