package io.kvproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ServerSpec;
import io.kvproxy.spi.ClusterRole;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A reload's topology, built over the pool's directory: servers that stay keep their number and health. */
class TopologyReloadTest {

    private static ServerSpec server(int port, String id) {
        return new ServerSpec("127.0.0.1", port, id, 100, 1);
    }

    private static Topology build(ServerDirectory directory, List<ServerSpec> master, List<ServerSpec> backup) {
        return Topology.build(directory, new ClusterSpec("master", master), backup.isEmpty() ? null : new ClusterSpec("backup", backup),
                null, Distribution.KETAMA, HashFunction.MD5, null, new byte[0]);
    }

    @Test
    void aServerThatStaysKeepsItsNumberAndHealthANewOneTakesTheNextAndARemovedOneIsNotListed() {
        ServerDirectory directory = new ServerDirectory();
        Topology first = build(directory, List.of(server(11211, "a"), server(11212, "b")), List.of(server(11213, "c")));
        first.health(1).setOnline(false);

        Topology second = build(directory, List.of(server(11212, "b"), server(11214, "d")), List.of(server(11213, "c")));

        assertEquals(4, second.serverCount());
        assertFalse(second.contains(0), "a was removed");
        assertTrue(second.contains(1));
        assertSame(first.health(1), second.health(1), "b keeps its health record");
        assertFalse(second.health(1).isOnline(), "and stays out");
        assertEquals(2, second.cluster(ClusterRole.BACKUP).topologyIndex(0), "c keeps its number");
        assertEquals(3, second.cluster(ClusterRole.MASTER).topologyIndex(1), "d takes the next");
        assertEquals(3, second.listedCount());
        assertFalse(second.cluster(ClusterRole.MASTER).isIn(0), "b, out, is out of the new ring too");

        Topology third = build(directory, List.of(server(11211, "a")), List.of());
        assertEquals(0, third.cluster(ClusterRole.MASTER).topologyIndex(0), "an address that comes back has its old number");
    }

    /** Adding a server to a ketama ring moves only keys to it; removing one moves only its keys. */
    @Test
    void aKetamaRingChangedByAReloadMovesOnlyTheKeysItMust() {
        List<RingNode> three = List.of(new RingNode("a", 100, 0), new RingNode("b", 100, 1), new RingNode("c", 100, 2));
        List<RingNode> four = List.of(new RingNode("a", 100, 0), new RingNode("b", 100, 1), new RingNode("c", 100, 2),
                new RingNode("d", 100, 3));
        List<RingNode> withoutB = List.of(new RingNode("a", 100, 0), new RingNode("c", 100, 2));
        Ring before = Ring.build(Distribution.KETAMA, HashFunction.MD5, null, three);
        Ring added = Ring.build(Distribution.KETAMA, HashFunction.MD5, null, four);
        Ring removed = Ring.build(Distribution.KETAMA, HashFunction.MD5, null, withoutB);
        int movedToD = 0;
        int movedOffB = 0;
        for (int k = 0; k < 10_000; k++) {
            byte[] key = ("key:" + k).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            int was = before.serverFor(key);
            int now = added.serverFor(key);
            if (now != was) {
                assertEquals(3, now, "a key moved to a server other than the new one");
                movedToD++;
            }
            int left = removed.serverFor(key);
            if (was != 1) {
                assertEquals(was, left, "a key of a server that stayed moved");
            } else {
                movedOffB++;
            }
        }
        assertTrue(movedToD > 1500 && movedToD < 3500, "the new server took " + movedToD + " of 10000 keys");
        assertTrue(movedOffB > 2000, "b held " + movedOffB + " keys");
    }
}
