package io.kvproxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ServerSpec;
import io.kvproxy.spi.ClusterRole;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** hash_tag rules (twemproxy-compat.md §3.5). */
@Timeout(10)
class HashTagTest {

    private static final HashTag BRACES = HashTag.parse("{}").orElseThrow();

    private static byte[] bytes(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /** The hashed part of {@code key} as a string. */
    private static String hashedPart(HashTag tag, String key) {
        long region = tag.region(bytes(key));
        return new String(bytes(key), HashTag.regionOffset(region), HashTag.regionLength(region),
                StandardCharsets.UTF_8);
    }

    @Test
    void parse() {
        assertEquals(Optional.of(new HashTag((byte) '{', (byte) '}')), HashTag.parse("{}"));
        assertEquals(Optional.of(new HashTag((byte) '$', (byte) '$')), HashTag.parse("$$"));
        assertEquals(Optional.empty(), HashTag.parse(""));
        assertEquals(Optional.empty(), HashTag.parse("{"));
        assertEquals(Optional.empty(), HashTag.parse("{}}"));
        assertEquals(Optional.empty(), HashTag.parse("\u00ab\u00bb"));
        assertEquals(Optional.empty(), HashTag.parse(null));
    }

    @Test
    void referenceExamples() {
        assertEquals("user1", hashedPart(BRACES, "user:{user1}:ids"));
        assertEquals("user1", hashedPart(BRACES, "user:{user1}:tweets"));
        assertEquals("a{}b", hashedPart(BRACES, "a{}b"));
        assertEquals("a{b", hashedPart(BRACES, "a{b"));
    }

    @Test
    void firstOpenThenFirstCloseAfterIt() {
        assertEquals("a{b", hashedPart(BRACES, "x{a{b}c}"));
        assertEquals("a", hashedPart(BRACES, "}x{a}b{c}"));
        assertEquals("}a{b", hashedPart(BRACES, "}a{b"));                 // close before open only
        assertEquals("{}x}", hashedPart(BRACES, "{}x}"));                  // first close after open is empty
        assertEquals("x", hashedPart(BRACES, "{x}"));
        assertEquals("", hashedPart(BRACES, ""));
    }

    @Test
    void equalOpenAndClose() {
        HashTag dollars = HashTag.parse("$$").orElseThrow();
        assertEquals("tag", hashedPart(dollars, "a$tag$b$c"));
        assertEquals("a$$b", hashedPart(dollars, "a$$b"));
        assertEquals("a$b", hashedPart(dollars, "a$b"));
    }

    @Test
    void regionIsAbsoluteInTheBuffer() {
        ByteBuffer direct = ByteBuffer.allocateDirect(64);
        direct.position(17).put(bytes("user:{user1}:ids"));
        direct.position(3).limit(40);
        long region = BRACES.region(direct, 17, 16);
        assertEquals(23, HashTag.regionOffset(region));
        assertEquals(5, HashTag.regionLength(region));
        long whole = BRACES.region(direct, 17, 4); // "user": no tag
        assertEquals(17, HashTag.regionOffset(whole));
        assertEquals(4, HashTag.regionLength(whole));
        assertEquals(3, direct.position());
        assertEquals(40, direct.limit());
    }

    @Test
    void taggedKeysShareAServerOnEveryDistribution() {
        List<RingNode> nodes = List.of(new RingNode("s1", 1, 0), new RingNode("s2", 2, 1),
                new RingNode("s3", 1, 2), new RingNode("s4", 3, 3));
        for (Distribution distribution : new Distribution[] {Distribution.KETAMA, Distribution.MODULA,
            Distribution.KVPROXY}) {
            Ring tagged = Ring.build(distribution, HashFunction.MURMUR, BRACES, nodes);
            Ring plain = Ring.build(distribution, HashFunction.MURMUR, null, nodes);
            for (int i = 0; i < 200; i++) {
                String id = "user" + i;
                int server = plain.serverFor(bytes(id));
                assertEquals(server, tagged.serverFor(bytes("user:{" + id + "}:ids")), distribution + " " + id);
                assertEquals(server, tagged.serverFor(bytes("{" + id + "}:tweets")), distribution + " " + id);
            }
            assertEquals(plain.serverFor(bytes("a{}b")), tagged.serverFor(bytes("a{}b")));
        }
        Ring random = Ring.build(Distribution.RANDOM, HashFunction.MURMUR, BRACES, nodes);
        assertTrue(random.serverFor(bytes("user:{1}:ids")) >= 0);
    }

    /** Reads, writes and replication each look keys up on their own cluster: every one applies the tag. */
    @Test
    void everyClusterOfATopologyAppliesTheTag() {
        ClusterSpec master = cluster("master", 11211);
        ClusterSpec backup = cluster("backup", 11311);
        ClusterSpec read = cluster("read", 11411);
        for (Distribution distribution : new Distribution[] {Distribution.KETAMA, Distribution.MODULA, Distribution.KVPROXY}) {
            Topology tagged = Topology.build(master, backup, read, distribution, HashFunction.MD5, BRACES, new byte[0]);
            Topology plain = Topology.build(master, backup, read, distribution, HashFunction.MD5, null, new byte[0]);
            for (ClusterRole role : ClusterRole.values()) {
                Cluster cluster = tagged.cluster(role);
                int owner = serverFor(cluster, "a");
                Set<Integer> untagged = new HashSet<>();
                for (int i = 0; i < 30; i++) {
                    assertEquals(owner, serverFor(cluster, "{a}" + i), distribution + " " + role + " {a}" + i);
                    untagged.add(serverFor(plain.cluster(role), "{a}" + i));
                }
                assertTrue(untagged.size() > 1, distribution + " " + role + ": the keys should spread without the tag");
            }
        }
    }

    private static int serverFor(Cluster cluster, String key) {
        byte[] bytes = bytes(key);
        return cluster.serverFor(ByteBuffer.wrap(bytes), 0, bytes.length);
    }

    private static ClusterSpec cluster(String name, int firstPort) {
        List<ServerSpec> servers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            servers.add(new ServerSpec("127.0.0.1", firstPort + i, Integer.toString(i + 1), 100, i + 1));
        }
        return new ClusterSpec(name, servers);
    }
}
