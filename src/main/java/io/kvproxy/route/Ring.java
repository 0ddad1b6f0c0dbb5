package io.kvproxy.route;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Which server of a cluster owns a key. A ring is immutable and built once over every configured
 * server; while some are out, {@link #liveServerFor} walks past them to the next live node, so an
 * ejection moves only the out server's keys (to their successors) and a rejoin moves exactly those back.
 * Every worker thread looks keys up without locks. A lookup reads the key in place in the
 * connection's buffer and allocates nothing.
 *
 * <p>The steps of a lookup follow twemproxy's {@code server_pool_idx}: no node can own a key → -1; one
 * node → that node, unhashed; otherwise the hash tag picks the bytes to hash, a key of length 0 hashes
 * to 0, and the distribution's {@link Continuum} maps the hash to a node. {@link Distribution#KVPROXY}
 * hashes keys with crc32 ({@link HashFunction#CRC32A}) whatever the configured hash, as the original
 * kvproxy did; it applies the hash tag like the others.
 *
 * <p>Nodes of weight 0 are left out entirely, as if not live: they own no key and do not count in
 * ketama's share arithmetic, so the ring equals the ring built without them.
 */
public final class Ring {

    /** twemproxy's server order: shorter name first, then bytewise (unsigned) on the UTF-8 name. */
    private static final Comparator<RingNode> TWEMPROXY_ORDER = Comparator
            .comparingInt((RingNode node) -> utf8(node).length)
            .thenComparing(Ring::utf8, Arrays::compareUnsigned);

    private final Distribution distribution;
    private final HashFunction keyHash;
    private final HashTag hashTag;
    private final Continuum continuum;
    /** {@link RingNode#index()} when exactly one node can own keys, else -1. */
    private final int onlyOwner;
    private final int ownerCount;

    private Ring(Distribution distribution, HashFunction keyHash, HashTag hashTag, Continuum continuum,
                 List<RingNode> owners) {
        this.distribution = distribution;
        this.keyHash = keyHash;
        this.hashTag = hashTag;
        this.continuum = continuum;
        this.ownerCount = continuum.size() == 0 ? 0 : owners.size();
        this.onlyOwner = ownerCount == 1 ? owners.get(0).index() : -1;
    }

    /**
     * @param nodes the servers (possibly empty)
     * @param hashTag may be null
     */
    public static Ring build(Distribution distribution, HashFunction hash, HashTag hashTag, List<RingNode> nodes) {
        Objects.requireNonNull(distribution, "distribution");
        Objects.requireNonNull(hash, "hash");
        List<RingNode> weighted = new ArrayList<>(nodes.size());
        for (RingNode node : nodes) {
            if (node.weight() > 0) {
                weighted.add(node);
            }
        }
        List<RingNode> sorted = new ArrayList<>(weighted);
        sorted.sort(TWEMPROXY_ORDER);
        Continuum continuum = switch (distribution) {
            case KETAMA -> PointContinuum.ketama(sorted);
            case MODULA -> new ModulaContinuum(sorted);
            case RANDOM -> new RandomContinuum(sorted);
            case KVPROXY -> PointContinuum.kvproxy(weighted);
        };
        HashFunction keyHash = distribution == Distribution.KVPROXY ? HashFunction.CRC32A : hash;
        return new Ring(distribution, keyHash, hashTag, continuum, weighted);
    }

    /**
     * {@link RingNode#index()} of the server owning the key {@code buf[offset, offset + length)}
     * (absolute indices; position and limit untouched), or -1 when the ring is empty.
     */
    public int serverFor(ByteBuffer buf, int offset, int length) {
        if (ownerCount == 0) {
            return -1;
        }
        if (onlyOwner >= 0) {
            return onlyOwner;
        }
        if (!continuum.usesKeyHash()) {
            return continuum.ownerOf(0);
        }
        return continuum.ownerOf(keyHash(buf, offset, length));
    }

    /**
     * The live server that takes the key while some servers are out: its owner when {@code live}, else the
     * next live node along the ring (see {@link Continuum#liveOwnerOf}); -1 when none is live.
     *
     * @param live indexed by {@link RingNode#index()}, true for servers in the ring
     */
    public int liveServerFor(ByteBuffer buf, int offset, int length, boolean[] live) {
        if (ownerCount == 0) {
            return -1;
        }
        if (onlyOwner >= 0) {
            return live[onlyOwner] ? onlyOwner : -1;
        }
        int hash = continuum.usesKeyHash() ? keyHash(buf, offset, length) : 0;
        return continuum.liveOwnerOf(hash, live);
    }

    /** Convenience for tests and config-time work; allocates a wrapper. */
    public int serverFor(byte[] key) {
        return serverFor(ByteBuffer.wrap(key), 0, key.length);
    }

    /** Whether no server can own a key (no live server, or all of weight 0). */
    public boolean isEmpty() {
        return ownerCount == 0;
    }

    /**
     * Size of the continuum, as twemproxy counts it: points for ketama and kvproxy, total weight for
     * modula, candidate servers for random.
     */
    public int pointCount() {
        return continuum.size();
    }

    public Distribution distribution() {
        return distribution;
    }

    @Override
    public String toString() {
        return "Ring[" + distribution.configName() + ", hash " + keyHash.configName()
                + (hashTag == null ? "" : ", " + hashTag) + ", " + ownerCount + " servers, "
                + continuum.size() + " points]";
    }

    /** The placement hash of a key: hash tag applied, 0 for an empty key (as twemproxy). */
    int keyHash(ByteBuffer buf, int offset, int length) {
        int start = offset;
        int count = length;
        if (hashTag != null) {
            long region = hashTag.region(buf, offset, length);
            start = HashTag.regionOffset(region);
            count = HashTag.regionLength(region);
        }
        return count == 0 ? 0 : keyHash.hash(buf, start, count);
    }

    /** For tests: the owner of a key hash, as if a key had it. */
    int ownerOfHash(int hash) {
        return continuum.ownerOf(hash);
    }

    /** For tests: the point a key hash lands on (ketama and kvproxy rings only). */
    int pointIndexFor(int hash) {
        return points().indexFor(hash);
    }

    /** For tests: value (unsigned) of point {@code i} (ketama and kvproxy rings only). */
    long pointValue(int i) {
        return points().pointValue(i);
    }

    /** For tests: owner of point {@code i} (ketama and kvproxy rings only). */
    int pointOwner(int i) {
        return points().pointOwner(i);
    }

    private PointContinuum points() {
        if (continuum instanceof PointContinuum points) {
            return points;
        }
        throw new IllegalStateException(distribution.configName() + " ring has no points");
    }

    private static byte[] utf8(RingNode node) {
        return node.name().getBytes(StandardCharsets.UTF_8);
    }
}
