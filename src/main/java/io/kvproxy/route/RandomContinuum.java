package io.kvproxy.route;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * twemproxy's random distribution: any node that may own keys, chosen afresh per lookup, weight
 * ignored. {@link ThreadLocalRandom} because every worker thread looks up concurrently.
 */
final class RandomContinuum implements Continuum {

    private final int[] owners;

    /** @param nodes weighted nodes, already in twemproxy's order */
    RandomContinuum(List<RingNode> nodes) {
        owners = nodes.stream().mapToInt(RingNode::index).toArray();
    }

    @Override
    public int ownerOf(int keyHash) {
        return owners[ThreadLocalRandom.current().nextInt(owners.length)];
    }

    /** Random as the lookup itself: the walk to a live candidate starts anywhere. */
    @Override
    public int firstEntryFor(int keyHash) {
        return ThreadLocalRandom.current().nextInt(owners.length);
    }

    @Override
    public int entryCount() {
        return owners.length;
    }

    @Override
    public int ownerOfEntry(int entry) {
        return owners[entry];
    }

    @Override
    public int size() {
        return owners.length;
    }

    @Override
    public boolean usesKeyHash() {
        return false;
    }
}
