package io.kvproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What every distribution shares: lookups in place, special cases, sharing between threads. */
@Timeout(10)
class RingTest {

    private static final HashTag BRACES = HashTag.parse("{}").orElseThrow();

    private static final List<RingNode> NODES = List.of(
            new RingNode("alpha", 3, 0), new RingNode("beta", 1, 1), new RingNode("gamma", 2, 2),
            new RingNode("delta", 0, 3), new RingNode("epsilon", 5, 4));

    private static final String[] KEYS = {
        "", "a", "foo", "user:{42}:name", "{}", "caf\u00e9", "x".repeat(250), "\u65e5\u672c", "session:abc123",
    };

    private static byte[] bytes(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void directBufferAtAnOffsetGivesTheSameServerAsAnArray() {
        ByteBuffer direct = ByteBuffer.allocateDirect(1024);
        for (Distribution distribution : new Distribution[] {Distribution.KETAMA, Distribution.MODULA,
            Distribution.KVPROXY}) {
            for (HashFunction hash : HashFunction.values()) {
                for (HashTag tag : new HashTag[] {null, BRACES}) {
                    Ring ring = Ring.build(distribution, hash, tag, NODES);
                    for (String text : KEYS) {
                        byte[] key = bytes(text);
                        int offset = 37 + text.length() % 5;
                        direct.clear();
                        direct.position(offset - 2).put((byte) '{').put((byte) 0xff).put(key).put((byte) '}');
                        direct.position(5).limit(900);
                        String what = ring + " key " + text;
                        assertEquals(ring.serverFor(key), ring.serverFor(direct, offset, key.length), what);
                        assertEquals(5, direct.position(), what);
                        assertEquals(900, direct.limit(), what);
                    }
                }
            }
        }
    }

    @Test
    void everyKeyGoesToALiveWeightedServer() {
        for (Distribution distribution : Distribution.values()) {
            Ring ring = Ring.build(distribution, HashFunction.MD5, null, NODES);
            assertFalse(ring.isEmpty());
            for (int i = 0; i < 500; i++) {
                int server = ring.serverFor(bytes("key" + i));
                assertTrue(server >= 0 && server <= 4 && server != 3, distribution + ": " + server);
            }
        }
    }

    @Test
    void emptyRingAnswersMinusOne() {
        for (Distribution distribution : Distribution.values()) {
            Ring ring = Ring.build(distribution, HashFunction.FNV1A_64, BRACES, List.of());
            assertTrue(ring.isEmpty());
            assertEquals(0, ring.pointCount());
            assertEquals(-1, ring.serverFor(bytes("foo")));
            assertEquals(-1, ring.serverFor(new byte[0]));
        }
    }

    @Test
    void oneLiveServerTakesEveryKeyWithoutHashing() {
        for (Distribution distribution : Distribution.values()) {
            Ring ring = Ring.build(distribution, HashFunction.MD5, null,
                    List.of(new RingNode("down-weighted", 0, 0), new RingNode("only", 2, 9)));
            for (String key : KEYS) {
                assertEquals(9, ring.serverFor(bytes(key)), distribution + " " + key);
            }
        }
    }

    @Test
    void theRingDoesNotKeepTheCallersList() {
        List<RingNode> nodes = new ArrayList<>(NODES);
        Ring ring = Ring.build(Distribution.KETAMA, HashFunction.MD5, null, nodes);
        int before = ring.serverFor(bytes("foo"));
        nodes.clear();
        assertEquals(before, ring.serverFor(bytes("foo")));
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RingNode("a", -1, 0));
        assertThrows(NullPointerException.class, () -> new RingNode(null, 1, 0));
        assertThrows(NullPointerException.class, () -> Ring.build(null, HashFunction.MD5, null, NODES));
        assertThrows(NullPointerException.class, () -> Ring.build(Distribution.KETAMA, null, null, NODES));
    }

    @Test
    void distributionConfigNames() {
        String[] names = {"ketama", "modula", "random", "kvproxy"};
        Distribution[] distributions = {Distribution.KETAMA, Distribution.MODULA, Distribution.RANDOM,
            Distribution.KVPROXY};
        for (int i = 0; i < names.length; i++) {
            assertEquals(names[i], distributions[i].configName());
            assertEquals(Optional.of(distributions[i]), Distribution.byConfigName(names[i]));
        }
        assertEquals(Optional.empty(), Distribution.byConfigName("vnode"));
        assertEquals(Optional.empty(), Distribution.byConfigName(null));
    }

    @Test
    void describesItself() {
        Ring ring = Ring.build(Distribution.KETAMA, HashFunction.FNV1A_64, BRACES, List.of(
                new RingNode("127.0.0.1", 1, 0), new RingNode("127.0.0.1:11212", 1, 1),
                new RingNode("127.0.0.1:11213", 1, 2)));
        assertEquals("Ring[ketama, hash fnv1a_64, HashTag[{}], 3 servers, 480 points]", ring.toString());
        assertEquals("Ring[kvproxy, hash crc32a, 0 servers, 0 points]",
                Ring.build(Distribution.KVPROXY, HashFunction.MD5, null, List.of()).toString());
    }

    @Test
    void sharedByManyThreads() throws Exception {
        List<Ring> rings = new ArrayList<>();
        for (Distribution distribution : new Distribution[] {Distribution.KETAMA, Distribution.MODULA,
            Distribution.KVPROXY}) {
            rings.add(Ring.build(distribution, HashFunction.MD5, BRACES, NODES));
        }
        int[][] expected = new int[rings.size()][1000];
        for (int r = 0; r < rings.size(); r++) {
            for (int k = 0; k < 1000; k++) {
                expected[r][k] = rings.get(r).serverFor(bytes("key:{" + k + "}"));
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    ByteBuffer direct = ByteBuffer.allocateDirect(64);
                    for (int round = 0; round < 20; round++) {
                        for (int r = 0; r < rings.size(); r++) {
                            for (int k = 0; k < 1000; k++) {
                                byte[] key = bytes("key:{" + k + "}");
                                direct.clear().put(key);
                                int actual = rings.get(r).serverFor(direct, 0, key.length);
                                if (actual != expected[r][k]) {
                                    throw new AssertionError(rings.get(r) + " key " + k + ": " + actual);
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void lookupsDoNotAllocate() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported());
        List<Ring> built = new ArrayList<>();
        for (Distribution distribution : Distribution.values()) {
            built.add(Ring.build(distribution, HashFunction.MD5, BRACES, NODES));
        }
        Ring[] rings = built.toArray(new Ring[0]);
        byte[] key = bytes("user:{1000}:profile");
        ByteBuffer direct = ByteBuffer.allocateDirect(64).position(9).put(key);
        int sink = 0;
        for (Ring ring : rings) {
            sink += ring.serverFor(direct, 9, key.length); // warm up thread-locals
        }
        long threadId = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(threadId);
        for (int i = 0; i < 10_000; i++) {
            for (Ring ring : rings) {
                sink += ring.serverFor(direct, 9, key.length);
            }
        }
        long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        // 40,000 lookups: any per-lookup allocation would be hundreds of kilobytes.
        assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes (sink " + sink + ")");
    }
}
