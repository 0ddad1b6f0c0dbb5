package io.kvproxy.route;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A sorted circle of 32-bit points, each owned by a node: a key goes to the first point at or after
 * its hash, wrapping to the first point. Both consistent-hash distributions are this structure and
 * differ only in how points are made, hence the two factories:
 * <ul>
 *   <li>{@link #ketama}: twemproxy's (libmemcached's) weighted ketama, md5 of {@code "<name>-<i>"},
 *       four points per digest;</li>
 *   <li>{@link #kvproxy}: the original kvproxy ring, crc32 of {@code "<id>-<i>"}, one point per unit
 *       of weight, a later node overwriting an earlier one's point of equal value; an all-digit id is
 *       written as the integer it is ({@link #kvproxyId}).</li>
 * </ul>
 * Points are stored with the sign bit flipped, so plain int comparison orders them as unsigned.
 */
final class PointContinuum implements Continuum {

    private static final int KETAMA_POINTS_PER_SERVER = 160;
    private static final int KETAMA_POINTS_PER_DIGEST = 4;

    /** Point values xor {@link Integer#MIN_VALUE}, ascending. */
    private final int[] flippedPoints;
    private final int[] owners;

    private PointContinuum(int[] flippedPoints, int[] owners) {
        this.flippedPoints = flippedPoints;
        this.owners = owners;
    }

    /** @param nodes weighted nodes in twemproxy's order (which only decides ties) */
    static PointContinuum ketama(List<RingNode> nodes) {
        long totalWeight = 0;
        for (RingNode node : nodes) {
            totalWeight += node.weight();
        }
        int total = 0;
        int[] counts = new int[nodes.size()];
        for (int n = 0; n < nodes.size(); n++) {
            counts[n] = ketamaPointCount(nodes.get(n).weight(), totalWeight, nodes.size());
            total += counts[n];
        }
        Points points = new Points(total);
        for (int n = 0; n < nodes.size(); n++) {
            RingNode node = nodes.get(n);
            for (int digestIndex = 0; digestIndex < counts[n] / KETAMA_POINTS_PER_DIGEST; digestIndex++) {
                byte[] digest = Md5Hash.digest(pointName(node.name(), digestIndex));
                for (int word = 0; word < KETAMA_POINTS_PER_DIGEST; word++) {
                    points.add(Md5Hash.digestWord(digest, word), node.index());
                }
            }
        }
        return points.sorted(false);
    }

    /**
     * Points for one node, in libmemcached's float arithmetic, which twemproxy copies and which must be
     * reproduced exactly (a double computation differs near integer boundaries):
     * {@code floorf((float)(pct * 160 / 4 * (float) live + 1e-10)) * 4}, {@code pct} a float.
     */
    static int ketamaPointCount(int weight, long totalWeight, int liveNodes) {
        float pct = (float) weight / (float) totalWeight;
        float scaled = pct * KETAMA_POINTS_PER_SERVER / KETAMA_POINTS_PER_DIGEST * (float) liveNodes;
        float nudged = (float) ((double) scaled + 1e-10);
        return (int) Math.floor(nudged) * KETAMA_POINTS_PER_DIGEST;
    }

    /** @param nodes weighted nodes in the caller's order: on equal points the later node wins */
    static PointContinuum kvproxy(List<RingNode> nodes) {
        long total = 0;
        for (RingNode node : nodes) {
            total += node.weight();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("kvproxy ring of " + total + " points is too large");
        }
        Points points = new Points((int) total);
        for (RingNode node : nodes) {
            String id = kvproxyId(node.name());
            for (int i = 0; i < node.weight(); i++) {
                byte[] name = pointName(id, i);
                points.add(CrcHashes.crc32(ByteBuffer.wrap(name), 0, name.length), node.index());
            }
        }
        return points.sorted(true);
    }

    /**
     * The id as the original kvproxy wrote it into its point names. Its ids were C ints, printed with
     * {@code sprintf("%d-%d", id, i)}, so {@code "01"} and {@code "007"} were hashed as {@code "1-i"} and
     * {@code "7-i"}: an all-digit id whose value fits an int is written without leading zeros. Any other
     * id (a name, or digits beyond an int, which the original could not hold) is used as written.
     */
    static String kvproxyId(String id) {
        if (id.isEmpty() || !id.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return id;
        }
        int firstSignificant = 0;
        while (firstSignificant < id.length() - 1 && id.charAt(firstSignificant) == '0') {
            firstSignificant++;
        }
        String digits = id.substring(firstSignificant);
        boolean fitsInt = digits.length() < 10 || (digits.length() == 10 && digits.compareTo("2147483647") <= 0);
        return fitsInt ? digits : id;
    }

    private static byte[] pointName(String id, int i) {
        return (id + "-" + i).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int ownerOf(int keyHash) {
        return owners[indexFor(keyHash)];
    }

    @Override
    public int firstEntryFor(int keyHash) {
        return indexFor(keyHash);
    }

    @Override
    public int entryCount() {
        return owners.length;
    }

    @Override
    public int ownerOfEntry(int entry) {
        return owners[entry];
    }

    /** Index of the first point whose value is &ge; {@code keyHash} (unsigned), wrapping to 0. */
    int indexFor(int keyHash) {
        int target = keyHash ^ Integer.MIN_VALUE;
        int low = 0;
        int high = flippedPoints.length;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (flippedPoints[middle] < target) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low == flippedPoints.length ? 0 : low;
    }

    /** Value of point {@code i} (unsigned). */
    long pointValue(int i) {
        return Integer.toUnsignedLong(flippedPoints[i] ^ Integer.MIN_VALUE);
    }

    /** Owner ({@link RingNode#index()}) of point {@code i}. */
    int pointOwner(int i) {
        return owners[i];
    }

    @Override
    public int size() {
        return flippedPoints.length;
    }

    /** Points in insertion order, sorted once all are in. */
    private static final class Points {
        /** (flipped value << 32) | insertion sequence: sorting orders by value, then insertion. */
        private final long[] entries;
        private final int[] ownerBySequence;
        private int count;

        Points(int capacity) {
            entries = new long[capacity];
            ownerBySequence = new int[capacity];
        }

        void add(int value, int owner) {
            entries[count] = (long) (value ^ Integer.MIN_VALUE) << 32 | count;
            ownerBySequence[count] = owner;
            count++;
        }

        /** @param laterWins keep only the last inserted of equal points (else keep all, stable) */
        PointContinuum sorted(boolean laterWins) {
            long[] sorted = Arrays.copyOf(entries, count);
            Arrays.sort(sorted);
            int[] values = new int[count];
            int[] owners = new int[count];
            int size = 0;
            for (int i = 0; i < count; i++) {
                int value = (int) (sorted[i] >>> 32);
                int owner = ownerBySequence[(int) sorted[i]];
                if (laterWins && size > 0 && values[size - 1] == value) {
                    owners[size - 1] = owner;
                } else {
                    values[size] = value;
                    owners[size] = owner;
                    size++;
                }
            }
            return new PointContinuum(Arrays.copyOf(values, size), Arrays.copyOf(owners, size));
        }
    }
}
