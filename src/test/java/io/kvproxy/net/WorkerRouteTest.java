package io.kvproxy.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ServerSpec;
import io.kvproxy.replicate.RepairLog;
import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Counter;
import io.kvproxy.stats.WorkerCounters;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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

    @Test
    @Timeout(60)
    void everyStandInWriteIsRecordedWhileTheOwnerLeavesAndRejoinsConcurrently() throws Exception {
        List<ServerSpec> specs = new ArrayList<>();
        for (int i = 0; i < SERVERS; i++) {
            specs.add(new ServerSpec("127.0.0.1", 11211 + i, "m" + i, 100, 1));
        }
        Topology topology = Topology.build(new ClusterSpec("master", specs), null, null, Distribution.KETAMA, HashFunction.MD5,
                null, new byte[0]);
        BackendConnection[][] backends = new BackendConnection[1][SERVERS];
        for (int i = 0; i < SERVERS; i++) {
            // Never connected: the route only hands them out.
            backends[0][i] = new BackendConnection(null, new InetSocketAddress("127.0.0.1", 11211 + i), topology.health(i), null,
                    null, i, null, 1, 1, 1, 1024);
        }
        RepairLog repairs = new RepairLog(SERVERS, 1000);
        WorkerCounters counters = new WorkerCounters();
        WorkerRoute route = new WorkerRoute(topology, backends, repairs, counters);
        byte[] raw = "k".getBytes(StandardCharsets.US_ASCII);
        Buffer key = new Buffer(16, 16);
        key.put(raw, 0, raw.length);
        int owner = topology.cluster(ClusterRole.MASTER).ownerFor(key.raw(), 0, raw.length);

        AtomicBoolean running = new AtomicBoolean(true);
        Thread monitor = new Thread(() -> {
            while (running.get()) {
                topology.health(owner).setOnline(false);
                topology.rebuildRings();
                topology.health(owner).setOnline(true);
                topology.rebuildRings();
            }
        }, "flipping-monitor");
        monitor.start();
        long toStandIn = 0;
        try {
            for (int i = 0; i < 2_000_000; i++) {
                Backend backend = route.writeBackendFor(0, key, 0, raw.length);
                if (backend != backends[0][owner]) {
                    toStandIn++;
                }
            }
        } finally {
            running.set(false);
            monitor.join();
        }
        assertTrue(toStandIn > 0, "the owner was never seen out: the test did not race");
        assertEquals(toStandIn, counters.get(Counter.STAND_IN_WRITES), "writes that went to a stand-in, against those recorded");
    }
}
