package io.kvproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ServerSpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** While servers are out, only their keys move, each to the next server in along the ring, and back. */
class ClusterTest {

    private static Cluster cluster(Distribution distribution, ServerHealth[] health) {
        List<ServerSpec> servers = new ArrayList<>();
        for (int i = 0; i < health.length; i++) {
            servers.add(new ServerSpec("127.0.0.1", 11211 + i, Integer.toString(i + 1), 100, i + 1));
        }
        int[] indexes = new int[health.length];
        for (int i = 0; i < indexes.length; i++) {
            indexes[i] = i;
        }
        return new Cluster(new ClusterSpec("master", servers), health, indexes, distribution, HashFunction.MD5, null);
    }

    private static int serverFor(Cluster cluster, String key) {
        byte[] bytes = key.getBytes(StandardCharsets.US_ASCII);
        return cluster.serverFor(ByteBuffer.wrap(bytes), 0, bytes.length);
    }

    private static int ownerFor(Cluster cluster, String key) {
        byte[] bytes = key.getBytes(StandardCharsets.US_ASCII);
        return cluster.ownerFor(ByteBuffer.wrap(bytes), 0, bytes.length);
    }

    @ParameterizedTest
    @EnumSource(value = Distribution.class, names = {"KETAMA", "MODULA", "KVPROXY"})
    void ejectionMovesOnlyTheOutServersKeysAndRejoinMovesThemBack(Distribution distribution) {
        ServerHealth[] health = new ServerHealth[4];
        for (int i = 0; i < health.length; i++) {
            health[i] = new ServerHealth("127.0.0.1:" + (11211 + i));
        }
        Cluster cluster = cluster(distribution, health);
        int[] before = new int[2000];
        for (int k = 0; k < before.length; k++) {
            before[k] = serverFor(cluster, "key:" + k);
        }
        assertFalse(cluster.isDegraded());
        health[2].setOnline(false);
        cluster.rebuild();
        assertTrue(cluster.isDegraded());
        assertFalse(cluster.isIn(2));
        int moved = 0;
        for (int k = 0; k < before.length; k++) {
            int now = serverFor(cluster, "key:" + k);
            assertEquals(before[k], ownerFor(cluster, "key:" + k), "the owner stays the owner");
            if (before[k] == 2) {
                moved++;
                assertTrue(now != 2 && now >= 0, "key:" + k + " still on the out server");
            } else {
                assertEquals(before[k], now, "key:" + k + " of a server that stayed in moved");
            }
        }
        assertTrue(moved > 0);
        health[2].setOnline(true);
        cluster.rebuild();
        for (int k = 0; k < before.length; k++) {
            assertEquals(before[k], serverFor(cluster, "key:" + k));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Distribution.class, names = {"KETAMA", "MODULA", "RANDOM", "KVPROXY"})
    void noServerInMeansNoServer(Distribution distribution) {
        ServerHealth[] health = {new ServerHealth("a:1"), new ServerHealth("b:2")};
        Cluster cluster = cluster(distribution, health);
        health[0].setOnline(false);
        health[1].setOnline(false);
        cluster.rebuild();
        assertFalse(cluster.hasServers());
        assertEquals(-1, serverFor(cluster, "k"));
    }
}
