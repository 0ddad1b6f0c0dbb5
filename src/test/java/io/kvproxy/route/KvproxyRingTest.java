package io.kvproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The original kvproxy's crc32 ring (kvproxy-original.md §6). */
@Timeout(10)
class KvproxyRingTest {

    private static byte[] bytes(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static long crc32(String text) {
        CRC32 crc = new CRC32();
        crc.update(bytes(text));
        return crc.getValue();
    }

    private static Ring kvproxy(HashFunction configured, List<RingNode> nodes) {
        return Ring.build(Distribution.KVPROXY, configured, null, nodes);
    }

    @Test
    void sampleCrc32Values() {
        String[] strings = {"1-0", "1-1", "1-49", "2-0", "foo", "+foo"};
        long[] expected = {3692772598L, 2870742112L, 3177836180L, 3730670255L, 2356372769L, 625298192L};
        for (int i = 0; i < strings.length; i++) {
            assertEquals(expected[i], Integer.toUnsignedLong(HashFunction.CRC32A.hash(bytes(strings[i]))), strings[i]);
            assertEquals(expected[i], crc32(strings[i]), strings[i]);
        }
    }

    @Test
    void pointsAreCrc32OfIdDashIWithWeightPointsEach() {
        Ring ring = kvproxy(HashFunction.MD5, List.of(new RingNode("1", 50, 0), new RingNode("2", 50, 1)));
        assertEquals(100, ring.pointCount());
        Map<Long, Integer> owners = new TreeMap<>();
        for (int i = 0; i < ring.pointCount(); i++) {
            owners.put(ring.pointValue(i), ring.pointOwner(i));
        }
        assertEquals(0, owners.get(3692772598L));   // "1-0"
        assertEquals(0, owners.get(2870742112L));   // "1-1"
        assertEquals(0, owners.get(3177836180L));   // "1-49"
        assertEquals(1, owners.get(3730670255L));   // "2-0"
    }

    @Test
    void keyGoesToFirstPointAtOrAfterItsCrc32Wrapping() {
        // points: 3692772598 ("1-0", node 0) and 3730670255 ("2-0", node 1)
        Ring ring = kvproxy(HashFunction.FNV1A_64, List.of(new RingNode("1", 1, 0), new RingNode("2", 1, 1)));
        assertEquals(0, ring.serverFor(bytes("foo")));   // 2356372769 → 3692772598
        assertEquals(0, ring.serverFor(bytes("+foo")));  // 625298192 → 3692772598
        assertEquals(3720365244L, crc32("key35"));
        assertEquals(1, ring.serverFor(bytes("key35"))); // → 3730670255
        assertEquals(4198098741L, crc32("lime"));
        assertEquals(0, ring.serverFor(bytes("lime")));  // beyond the last point: wraps to 3692772598
    }

    @Test
    void keysAreHashedWithCrc32WhateverTheConfiguredHash() {
        // the original's test_hash ring: ids 1, 2, 3 with weights 3, 2, 4
        List<RingNode> nodes = List.of(new RingNode("1", 3, 0), new RingNode("2", 2, 1), new RingNode("3", 4, 2));
        TreeMap<Long, Integer> oracle = new TreeMap<>();
        for (RingNode node : nodes) {
            for (int i = 0; i < node.weight(); i++) {
                oracle.put(crc32(node.name() + "-" + i), node.index());
            }
        }
        for (HashFunction configured : HashFunction.values()) {
            Ring ring = kvproxy(configured, nodes);
            assertEquals(9, ring.pointCount());
            for (int k = 0; k < 1000; k++) {
                String key = k == 0 ? "123" : "key:" + k;
                Map.Entry<Long, Integer> owner = oracle.ceilingEntry(crc32(key));
                int expected = (owner != null ? owner : oracle.firstEntry()).getValue();
                assertEquals(expected, ring.serverFor(bytes(key)), configured + " " + key);
            }
        }
    }

    @Test
    void aLaterNodeOverwritesAnEqualPoint() {
        // two nodes with the same id have the same points: the later insert owns them all
        Ring ring = kvproxy(HashFunction.MD5, List.of(new RingNode("7", 3, 0), new RingNode("7", 3, 1)));
        assertEquals(3, ring.pointCount());
        for (int i = 0; i < ring.pointCount(); i++) {
            assertEquals(1, ring.pointOwner(i));
        }
        assertEquals(1, ring.serverFor(bytes("foo")));
    }

    @Test
    void zeroWeightTakesNoKeysAndAllZeroIsEmpty() {
        Ring ring = kvproxy(HashFunction.MD5, List.of(new RingNode("1", 0, 0), new RingNode("2", 5, 1),
                new RingNode("3", 5, 2)));
        assertEquals(10, ring.pointCount());
        for (int k = 0; k < 200; k++) {
            assertTrue(ring.serverFor(bytes("k" + k)) != 0);
        }
        Ring empty = kvproxy(HashFunction.MD5, List.of(new RingNode("1", 0, 0)));
        assertTrue(empty.isEmpty());
        assertEquals(-1, empty.serverFor(bytes("foo")));
    }

    @Test
    void hashTagAppliesToTheKvproxyRingToo() {
        Ring ring = Ring.build(Distribution.KVPROXY, HashFunction.MD5, HashTag.parse("{}").orElseThrow(),
                List.of(new RingNode("1", 1, 0), new RingNode("2", 1, 1)));
        assertEquals(1, ring.serverFor(bytes("user:{key35}:name")));
        assertEquals(0, ring.serverFor(bytes("user:{foo}:name")));
    }

    @Test
    void anAllDigitIdIsHashedAsTheIntegerTheOriginalPrintedWithPercentD() {
        // The original kept ids as ints and wrote points with sprintf("%d-%d"): id "01" made "1-0".
        Ring padded = kvproxy(HashFunction.MD5, List.of(new RingNode("01", 50, 0), new RingNode("002", 50, 1)));
        Map<Long, Integer> owners = new TreeMap<>();
        for (int i = 0; i < padded.pointCount(); i++) {
            owners.put(padded.pointValue(i), padded.pointOwner(i));
        }
        assertEquals(0, owners.get(3692772598L));   // "1-0", not "01-0"
        assertEquals(0, owners.get(3177836180L));   // "1-49"
        assertEquals(1, owners.get(3730670255L));   // "2-0", not "002-0"
        assertTrue(!owners.containsKey(crc32("01-0")));
        Ring plain = kvproxy(HashFunction.MD5, List.of(new RingNode("1", 50, 0), new RingNode("2", 50, 1)));
        for (int k = 0; k < 500; k++) {
            byte[] key = bytes("key:" + k);
            assertEquals(plain.serverFor(key), padded.serverFor(key), "key:" + k);
        }
    }

    @Test
    void onlyIdsThatAreIntsAreNormalised() {
        assertEquals("1", PointContinuum.kvproxyId("01"));
        assertEquals("0", PointContinuum.kvproxyId("0"));
        assertEquals("0", PointContinuum.kvproxyId("000"));
        assertEquals("7", PointContinuum.kvproxyId("00000000000007"));
        assertEquals("2147483647", PointContinuum.kvproxyId("02147483647"));
        assertEquals("2147483648", PointContinuum.kvproxyId("2147483648"));   // beyond an int: as written
        assertEquals("02147483648", PointContinuum.kvproxyId("02147483648"));
        assertEquals("a01", PointContinuum.kvproxyId("a01"));
        assertEquals("01a", PointContinuum.kvproxyId("01a"));
        assertEquals("-1", PointContinuum.kvproxyId("-1"));
        assertEquals("", PointContinuum.kvproxyId(""));
    }

    @Test
    void ketamaHashesIdsAsWritten() {
        // twemproxy names are strings: "01" and "1" are different servers on a ketama ring.
        Ring padded = Ring.build(Distribution.KETAMA, HashFunction.MD5, null,
                List.of(new RingNode("01", 1, 0), new RingNode("02", 1, 1)));
        Ring plain = Ring.build(Distribution.KETAMA, HashFunction.MD5, null,
                List.of(new RingNode("1", 1, 0), new RingNode("2", 1, 1)));
        int differ = 0;
        for (int k = 0; k < 200; k++) {
            byte[] key = bytes("key:" + k);
            differ += padded.serverFor(key) == plain.serverFor(key) ? 0 : 1;
        }
        assertTrue(differ > 0);
    }
}
