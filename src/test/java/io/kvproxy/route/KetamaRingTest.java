package io.kvproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Weighted ketama against the vectors of twemproxy-compat.md §2.1 and §3.2. */
@Timeout(10)
class KetamaRingTest {

    private static byte[] bytes(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static Ring ketama(HashFunction hash, List<RingNode> nodes) {
        return Ring.build(Distribution.KETAMA, hash, null, nodes);
    }

    private static int[] pointsPerOwner(Ring ring, int owners) {
        int[] counts = new int[owners];
        for (int i = 0; i < ring.pointCount(); i++) {
            counts[ring.pointOwner(i)]++;
        }
        return counts;
    }

    @Test
    void pointHashOfServer1Dash8() {
        byte[] digest = Md5Hash.digest(bytes("server1-8"));
        assertEquals(3853726576L, Integer.toUnsignedLong(Md5Hash.digestWord(digest, 0)));
        assertEquals(2667054752L, Integer.toUnsignedLong(Md5Hash.digestWord(digest, 3)));
    }

    @Test
    void equalWeightsGive160PointsEach() {
        Ring ring = ketama(HashFunction.MD5, List.of(
                new RingNode("a", 5, 0), new RingNode("b", 5, 1), new RingNode("c", 5, 2), new RingNode("d", 5, 3)));
        assertEquals(640, ring.pointCount());
        assertEquals(List.of(160, 160, 160, 160), List.of(box(pointsPerOwner(ring, 4))));
    }

    @Test
    void weights100And37And1Give344And128And0Points() {
        assertEquals(344, PointContinuum.ketamaPointCount(100, 138, 3));
        assertEquals(128, PointContinuum.ketamaPointCount(37, 138, 3));
        assertEquals(0, PointContinuum.ketamaPointCount(1, 138, 3));
        Ring ring = Ring.build(Distribution.KETAMA, HashFunction.MURMUR, HashTag.parse("{}").orElseThrow(), List.of(
                new RingNode("big", 100, 0), new RingNode("mid", 37, 1), new RingNode("tiny", 1, 2)));
        assertEquals(472, ring.pointCount());
        assertEquals(List.of(344, 128, 0), List.of(box(pointsPerOwner(ring, 3))));
        for (int i = 0; i < 450; i++) {
            assertTrue(ring.serverFor(bytes("k{" + i + "}")) != 2, "the weight-1 server is never used");
        }
    }

    /** libmemcached's weighted servers 10.0.1.1..8, hash md5 (§3.2). Node index i is 10.0.1.(i+1). */
    private static final List<RingNode> LIBMEMCACHED_SERVERS = List.of(
            new RingNode("10.0.1.1", 600, 0), new RingNode("10.0.1.2", 300, 1),
            new RingNode("10.0.1.3", 200, 2), new RingNode("10.0.1.4", 350, 3),
            new RingNode("10.0.1.5", 1000, 4), new RingNode("10.0.1.6", 800, 5),
            new RingNode("10.0.1.7", 950, 6), new RingNode("10.0.1.8", 100, 7));

    @Test
    void libmemcachedWeightedExamples() {
        Ring ring = ketama(HashFunction.MD5, LIBMEMCACHED_SERVERS);
        assertPlacement(ring, "SVa_]_V41)", 443691461L, 445379617L, 6);
        assertPlacement(ring, "*/Z;?V(.\\8", 1422915503L, 1428303028L, 0);
        assertEquals(1, ring.serverFor(bytes("30C1*Z*S/_")));
    }

    @Test
    void libmemcachedKeyBeyondTheLastPointWrapsToTheFirst() {
        Ring ring = ketama(HashFunction.MD5, LIBMEMCACHED_SERVERS);
        byte[] key = bytes("VDEAAAAA");
        int hash = HashFunction.MD5.hash(key);
        assertEquals(0xfffcd1b5L, Integer.toUnsignedLong(hash));
        assertEquals(4294696831L, ring.pointValue(ring.pointCount() - 1));
        assertEquals(2148620L, ring.pointValue(0));
        assertEquals(0, ring.pointIndexFor(hash));
        assertEquals(ring.pointOwner(0), ring.serverFor(key));
    }

    private static void assertPlacement(Ring ring, String key, long hash, long point, int server) {
        int keyHash = HashFunction.MD5.hash(bytes(key));
        assertEquals(hash, Integer.toUnsignedLong(keyHash), "md5 of " + key);
        assertEquals(point, ring.pointValue(ring.pointIndexFor(keyHash)), "point of " + key);
        assertEquals(server, ring.serverFor(bytes(key)), "server of " + key);
    }

    /** Pool A (§3.2): nodes given in config order; index 0 = 11211, 1 = 11212, 2 = 11213. */
    private static final List<RingNode> POOL_A = List.of(
            new RingNode("127.0.0.1", 1, 0), new RingNode("127.0.0.1:11212", 1, 1),
            new RingNode("127.0.0.1:11213", 1, 2));

    @Test
    void poolAPoints() {
        Ring ring = ketama(HashFunction.FNV1A_64, POOL_A);
        assertEquals(480, ring.pointCount());
        assertEquals(15946801L, ring.pointValue(0));
        assertEquals(1, ring.pointOwner(0));
        assertEquals(4292932786L, ring.pointValue(ring.pointCount() - 1));
        assertEquals(0, ring.pointOwner(ring.pointCount() - 1));
        List<Long> pointsOf11212 = new ArrayList<>();
        for (int i = 0; i < ring.pointCount(); i++) {
            if (ring.pointOwner(i) == 1) {
                pointsOf11212.add(ring.pointValue(i));
            }
        }
        for (long point : new long[] {647876633L, 3420366637L, 96110928L, 4175585575L}) {
            assertTrue(pointsOf11212.contains(point), "point " + point + " of 127.0.0.1:11212-0");
        }
    }

    @Test
    void poolAPlacement() {
        Ring ring = ketama(HashFunction.FNV1A_64, POOL_A);
        Object[][] table = {
            {"foo", 4275688823L, 4289954118L, 1},
            {"bar", 322520602L, 341443984L, 0},
            {"baz", 322517122L, 341443984L, 0},
            {"apple", 1488911807L, 1496629654L, 1},
            {"key1", 1555933063L, 1558371792L, 0},
            {"user:1000", 2927313545L, 2929575971L, 1},
            {"hello", 2158673163L, 2164880418L, 2},
            {"session:abc123", 2656702839L, 2658239320L, 2},
        };
        for (Object[] row : table) {
            byte[] key = bytes((String) row[0]);
            int hash = HashFunction.FNV1A_64.hash(key);
            assertEquals(row[1], Integer.toUnsignedLong(hash), "fnv1a_64 of " + row[0]);
            assertEquals(row[2], ring.pointValue(ring.pointIndexFor(hash)), "point of " + row[0]);
            assertEquals(row[3], ring.serverFor(key), "server of " + row[0]);
        }
    }

    @Test
    void poolBNamedServers() {
        // indexes deliberately unrelated to the names: the ring must return the caller's index
        Ring ring = ketama(HashFunction.FNV1A_64, List.of(
                new RingNode("server3", 1, 30), new RingNode("server1", 1, 10), new RingNode("server2", 1, 20)));
        String[][] table = {
            {"foo", "10"}, {"bar", "20"}, {"baz", "20"}, {"apple", "10"}, {"key1", "10"},
            {"user:1000", "10"}, {"hello", "20"}, {"session:abc123", "10"},
        };
        for (String[] row : table) {
            assertEquals(Integer.parseInt(row[1]), ring.serverFor(bytes(row[0])), row[0]);
        }
    }

    @Test
    void zeroWeightNodesAreAsIfAbsent() {
        List<RingNode> withZero = new ArrayList<>(POOL_A);
        withZero.add(new RingNode("idle", 0, 3));
        Ring ring = ketama(HashFunction.FNV1A_64, withZero);
        Ring without = ketama(HashFunction.FNV1A_64, POOL_A);
        assertEquals(without.pointCount(), ring.pointCount());
        for (int i = 0; i < ring.pointCount(); i++) {
            assertEquals(without.pointValue(i), ring.pointValue(i));
            assertEquals(without.pointOwner(i), ring.pointOwner(i));
        }
    }

    @Test
    void allZeroWeightsOrNoNodesIsEmpty() {
        for (List<RingNode> nodes : List.of(List.<RingNode>of(),
                List.of(new RingNode("a", 0, 0), new RingNode("b", 0, 1)))) {
            Ring ring = ketama(HashFunction.MD5, nodes);
            assertTrue(ring.isEmpty());
            assertEquals(0, ring.pointCount());
            assertEquals(-1, ring.serverFor(bytes("foo")));
        }
    }

    @Test
    void emptyKeyHashesToZeroAndTakesTheFirstPoint() {
        Ring ring = ketama(HashFunction.JENKINS, POOL_A); // jenkins of "" is not 0
        assertEquals(ring.pointOwner(0), ring.serverFor(new byte[0]));
    }

    @Test
    void oneLiveServerTakesEveryKey() {
        Ring ring = ketama(HashFunction.MD5, List.of(new RingNode("only", 3, 7), new RingNode("off", 0, 8)));
        assertEquals(160, ring.pointCount());
        for (String key : new String[] {"", "a", "foo", "VDEAAAAA"}) {
            assertEquals(7, ring.serverFor(bytes(key)));
        }
    }

    private static Integer[] box(int[] values) {
        Integer[] boxed = new Integer[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }
}
