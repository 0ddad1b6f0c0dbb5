package io.kvproxy.route;

import java.util.List;

/**
 * twemproxy's modula: conceptually each node repeated {@code weight} times in twemproxy's node order,
 * and a key goes to entry {@code hash % totalWeight}. Kept as cumulative weights searched by binary
 * search, so a large weight costs no memory.
 */
final class ModulaContinuum implements Continuum {

    /** cumulativeWeights[i] = total weight of nodes 0..i; strictly increasing (weight-0 nodes left out). */
    private final long[] cumulativeWeights;
    private final int[] owners;
    private final long totalWeight;

    /** @param nodes weighted nodes, already in twemproxy's order */
    ModulaContinuum(List<RingNode> nodes) {
        cumulativeWeights = new long[nodes.size()];
        owners = new int[nodes.size()];
        long total = 0;
        for (int i = 0; i < nodes.size(); i++) {
            total += nodes.get(i).weight();
            cumulativeWeights[i] = total;
            owners[i] = nodes.get(i).index();
        }
        totalWeight = total;
    }

    @Override
    public int ownerOf(int keyHash) {
        return owners[firstEntryFor(keyHash)];
    }

    @Override
    public int entryCount() {
        return owners.length;
    }

    @Override
    public int ownerOfEntry(int entry) {
        return owners[entry];
    }

    /** The node entry (in twemproxy's order) whose weight slots hold the key's slot. */
    @Override
    public int firstEntryFor(int keyHash) {
        long slot = Integer.toUnsignedLong(keyHash) % totalWeight;
        int low = 0;
        int high = cumulativeWeights.length - 1;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (cumulativeWeights[middle] > slot) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        return low;
    }

    @Override
    public int size() {
        return (int) Math.min(totalWeight, Integer.MAX_VALUE);
    }
}
