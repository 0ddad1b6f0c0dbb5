package io.kvproxy.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ServerSpec;
import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Route;
import io.kvproxy.spi.WorkerTask;
import io.kvproxy.stats.ServerCounters;
import io.kvproxy.stats.ServerTimings;
import io.kvproxy.stats.WorkerCounters;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A write is recorded for repair whenever it lands on a stand-in, even while the health monitor moves
 * the key's owner out of the ring and back on another thread: the membership that chose the server is
 * the one that says whether it stands in.
 */
class WorkerRouteTest {

    private static final int SERVERS = 3;
    private static final long SECOND_NANOS = TimeUnit.SECONDS.toNanos(1);

    @Test
    @Timeout(60)
    void everyStandInWriteIsRecordedWhileTheOwnerLeavesAndRejoinsConcurrently() throws Exception {
        List<LineServer> servers = new ArrayList<>();
        List<ServerSpec> specs = new ArrayList<>();
        for (int i = 0; i < SERVERS; i++) {
            servers.add(new LineServer());
            specs.add(new ServerSpec("127.0.0.1", servers.get(i).port(), "m" + i, 100, 1));
        }
        Topology topology = Topology.build(new ClusterSpec("master", specs), null, null, Distribution.KETAMA, HashFunction.MD5,
                null, new byte[0]);
        byte[] raw = "k".getBytes(StandardCharsets.US_ASCII);
        Buffer key = new Buffer(16, 16).put(raw);
        int owner = topology.cluster(ClusterRole.MASTER).ownerFor(key.raw(), 0, raw.length);
        AtomicBoolean racing = new AtomicBoolean(true);
        // The count of writes that reached a stand-in, from the worker's own thread.
        CompletableFuture<Long> toStandIn = new CompletableFuture<>();
        WorkerCounters counters = new WorkerCounters(0);
        LineProtocol protocol = new LineProtocol(null, (route, startNanos) -> new Writes(route, key, raw.length, owner, racing, toStandIn));
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress("127.0.0.1", 0));
        listener.configureBlocking(false);
        Pool pool = new Pool(0, "lines", listener, protocol, topology, new BackendHandshakeTest.NoView(), List.of(counters),
                new ServerTimings(SERVERS), List.of(new ServerCounters(SERVERS)));
        WorkerContext context = new WorkerContext(List.of(pool), new ClientSlots(10), Clock.SYSTEM, CpuAffinity.NONE,
                new LiveSettings(2 * SECOND_NANOS, SECOND_NANOS, SECOND_NANOS, 0, 100), 1 << 20, 1);
        Worker worker = new Worker(0, context);
        Thread thread = new Thread(worker);
        Thread monitor = new Thread(() -> {
            while (racing.get()) {
                topology.health(owner).setOnline(false);
                topology.rebuildRings();
                topology.health(owner).setOnline(true);
                topology.rebuildRings();
            }
        }, "flipping-monitor");
        monitor.start();
        thread.start();
        try {
            long standIns = toStandIn.get(50, TimeUnit.SECONDS);
            assertTrue(standIns > 0, "the owner was never seen out: the test did not race");
            assertEquals(standIns, counters.get(Counter.STAND_IN_WRITES), "writes that went to a stand-in, against those recorded");
        } finally {
            racing.set(false);
            monitor.join();
            worker.stop(0);
            thread.join(5_000);
            listener.close();
            for (LineServer server : servers) {
                server.close();
            }
        }
    }

    /** On the worker's thread: routes the key as a write two million times, counting where it went. */
    private static final class Writes implements WorkerTask {

        private final Route route;
        private final Buffer key;
        private final int length;
        private final int owner;
        private final AtomicBoolean racing;
        private final CompletableFuture<Long> toStandIn;
        private long dueNanos;

        Writes(Route route, Buffer key, int length, int owner, AtomicBoolean racing, CompletableFuture<Long> toStandIn) {
            this.route = route;
            this.key = key;
            this.length = length;
            this.owner = owner;
            this.racing = racing;
            this.toStandIn = toStandIn;
        }

        @Override
        public long nextDeadlineNanos() {
            return dueNanos;
        }

        @Override
        public void run(long nowNanos) {
            dueNanos = nowNanos + 3600 * SECOND_NANOS;
            Backend ownerBackend = route.backendAt(ClusterRole.MASTER, 0, owner);
            long standIns = 0;
            for (int i = 0; i < 2_000_000; i++) {
                Backend backend = route.writeBackendFor(0, key, 0, length);
                if (backend != null && backend != ownerBackend) {
                    standIns++;
                }
            }
            racing.set(false);
            toStandIn.complete(standIns);
        }
    }
}
