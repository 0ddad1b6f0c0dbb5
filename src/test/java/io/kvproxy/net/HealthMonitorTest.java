package io.kvproxy.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ServerSpec;
import io.kvproxy.route.Cluster;
import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.ClusterRole;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ejection and rejoin, one {@link HealthMonitor#check()} at a time: no sockets, no sleeping. */
class HealthMonitorTest {

    private final Topology topology = Topology.build(new ClusterSpec("master", List.of(
                    new ServerSpec("127.0.0.1", 1, "1", 100, 1), new ServerSpec("127.0.0.1", 2, "2", 100, 2))),
            null, null, Distribution.KETAMA, HashFunction.MD5, null, new byte[0]);
    private final Map<Integer, String> verdicts = new HashMap<>();
    private final List<String> gateCalls = new ArrayList<>();
    private boolean gateReady = true;

    private final HealthMonitor monitor = new HealthMonitor("memcached", () -> topology, 2, 1000,
            (host, port) -> verdicts.get(port),
            new HealthMonitor.RejoinGate() {
                @Override
                public boolean prepare(int server) {
                    gateCalls.add("prepare " + server);
                    return gateReady;
                }

                @Override
                public void finish(int server) {
                    gateCalls.add("finish " + server);
                }
            }, () -> 0L);

    private Cluster master() {
        return topology.cluster(ClusterRole.MASTER);
    }

    @Test
    void aServerLeavesAtTheThresholdAndAGoodReplyResetsTheCount() {
        topology.health(1).recordFailure();
        monitor.check();
        assertTrue(master().isIn(1), "one failure is under the threshold");
        topology.health(1).recordSuccess();
        topology.health(1).recordFailure();
        monitor.check();
        assertTrue(master().isIn(1), "the good reply reset the run");
        topology.health(1).recordFailure();
        monitor.check();
        assertFalse(master().isIn(1));
        assertTrue(master().isDegraded());
        assertTrue(gateCalls.isEmpty(), "ejection needs no worker's consent");
    }

    @Test
    void anOutServerRejoinsOnlyWhenItAnswersAndEveryWorkerIsReady() {
        topology.health(0).recordFailure();
        topology.health(0).recordFailure();
        monitor.check();
        assertFalse(master().isIn(0));

        verdicts.put(1, "no answer within recv_timeout (100 ms)");
        monitor.check();
        assertFalse(master().isIn(0), "a hung server stays out");
        assertTrue(gateCalls.isEmpty(), "the workers are asked only once it answers: " + gateCalls);

        verdicts.remove(1);
        gateReady = false;
        monitor.check();
        assertFalse(master().isIn(0), "not every worker repaired it");
        assertEquals(List.of("prepare 0", "finish 0"), gateCalls);

        gateReady = true;
        monitor.check();
        assertTrue(master().isIn(0));
        assertFalse(master().isDegraded());
        assertEquals(0, topology.health(0).consecutiveFailures());
        assertEquals(List.of("prepare 0", "finish 0", "prepare 0", "finish 0"), gateCalls);
    }
}
