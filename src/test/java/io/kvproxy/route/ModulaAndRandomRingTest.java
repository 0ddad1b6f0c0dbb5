package io.kvproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** modula (twemproxy-compat.md §3.3, server order §3.1) and random (§3.4). */
@Timeout(10)
class ModulaAndRandomRingTest {

    private static byte[] bytes(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /** Pool A in an order that is neither config nor sorted order; indexes are the caller's. */
    private static final List<RingNode> POOL_A_SHUFFLED = List.of(
            new RingNode("127.0.0.1:11213", 1, 2), new RingNode("127.0.0.1", 1, 0),
            new RingNode("127.0.0.1:11212", 1, 1));

    @Test
    void poolAModulaExamplesUseNameSortedOrder() {
        Ring ring = Ring.build(Distribution.MODULA, HashFunction.FNV1A_64, null, POOL_A_SHUFFLED);
        assertEquals(3, ring.pointCount());
        assertEquals(2, ring.serverFor(bytes("foo")));   // 4275688823 % 3 = 2 → 11213
        assertEquals(1, ring.serverFor(bytes("bar")));   // 322520602 % 3 = 1 → 11212
        assertEquals(2, ring.serverFor(bytes("apple"))); // 1488911807 % 3 = 2 → 11213
    }

    @Test
    void shorterNamesSortFirstThenBytewise() {
        Ring ring = Ring.build(Distribution.MODULA, HashFunction.FNV1A_64, null, List.of(
                new RingNode("\u00e9", 1, 3), new RingNode("ab", 1, 1), new RingNode("z", 1, 0),
                new RingNode("bc", 1, 2)));
        // "z" is shortest; "\u00e9" is two UTF-8 bytes (c3 a9), so it sorts with "ab" and "bc", after them
        // because bytes compare unsigned (0xc3 > 'b')
        int[] expectedBySlot = {0, 1, 2, 3};
        for (int slot = 0; slot < 4; slot++) {
            assertEquals(expectedBySlot[slot], ring.ownerOfHash(slot), "slot " + slot);
        }
    }

    @Test
    void weightRepeatsAServer() {
        // "a" weight 2 then "b" weight 1: slots 0,1 → a, slot 2 → b
        Ring ring = Ring.build(Distribution.MODULA, HashFunction.FNV1A_64, null,
                List.of(new RingNode("b", 1, 1), new RingNode("a", 2, 0), new RingNode("zero", 0, 2)));
        assertEquals(3, ring.pointCount());
        assertEquals(1, ring.serverFor(bytes("foo"))); // 4275688823 % 3 = 2
        assertEquals(0, ring.serverFor(bytes("bar"))); // 322520602 % 3 = 1
        assertEquals(0, ring.ownerOfHash(0));
        assertEquals(0, ring.ownerOfHash(1));
        assertEquals(1, ring.ownerOfHash(2));
        assertEquals(0, ring.ownerOfHash(0xffffffff)); // unsigned: 4294967295 % 3 = 0 → a
    }

    @Test
    void emptyKeyGoesToSlotZero() {
        Ring ring = Ring.build(Distribution.MODULA, HashFunction.JENKINS, null, POOL_A_SHUFFLED);
        assertEquals(0, ring.serverFor(new byte[0]));
    }

    @Test
    void modulaWithNoWeightIsEmpty() {
        Ring ring = Ring.build(Distribution.MODULA, HashFunction.MD5, null, List.of(new RingNode("a", 0, 0)));
        assertTrue(ring.isEmpty());
        assertEquals(-1, ring.serverFor(bytes("foo")));
    }

    @Test
    void randomPicksEveryWeightedServerAndNeverAZeroWeightOne() {
        Ring ring = Ring.build(Distribution.RANDOM, HashFunction.MD5, null, List.of(
                new RingNode("a", 1, 0), new RingNode("b", 100, 1), new RingNode("c", 1, 2), new RingNode("d", 0, 3)));
        assertEquals(3, ring.pointCount());
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            int server = ring.serverFor(bytes("same key"));
            assertTrue(server >= 0 && server <= 2, "server " + server);
            seen.add(server);
        }
        assertEquals(Set.of(0, 1, 2), seen);
    }

    @Test
    void randomWithOneOrNoServer() {
        assertEquals(5, Ring.build(Distribution.RANDOM, HashFunction.MD5, null,
                List.of(new RingNode("a", 1, 5), new RingNode("b", 0, 6))).serverFor(bytes("k")));
        assertEquals(-1, Ring.build(Distribution.RANDOM, HashFunction.MD5, null, List.of()).serverFor(bytes("k")));
    }
}
