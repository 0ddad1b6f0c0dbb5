package io.kvproxy.route;

/**
 * The placement half of a {@link Ring}: given the hash of a key, which node owns it. A ring does the
 * shared work (empty ring, single node, hash tag, key hash) and then asks its continuum, so each
 * distribution is only its own data structure. Implementations are immutable and allocation-free.
 */
sealed interface Continuum permits PointContinuum, ModulaContinuum, RandomContinuum {

    /** {@link RingNode#index()} of the owner of a key with hash {@code keyHash} (unsigned). */
    int ownerOf(int keyHash);

    /**
     * The first owner at or after the key's place that is {@code live}: the key's owner when it is in, else
     * the next node along the continuum, so only an out node's keys move, each to its successor, and
     * they move back when it returns. -1 when no node is live.
     *
     * @param live indexed by {@link RingNode#index()}
     */
    default int liveOwnerOf(int keyHash, boolean[] live) {
        int entries = entryCount();
        int start = firstEntryFor(keyHash);
        for (int step = 0; step < entries; step++) {
            int owner = ownerOfEntry((start + step) % entries);
            if (live[owner]) {
                return owner;
            }
        }
        return -1;
    }

    /** The entry (point, node slot or candidate) a key with hash {@code keyHash} lands on. */
    int firstEntryFor(int keyHash);

    /** Entries to walk for {@link #liveOwnerOf}, in ring order. */
    int entryCount();

    /** {@link RingNode#index()} of the owner of entry {@code entry}. */
    int ownerOfEntry(int entry);

    /** Number of entries: points, weight slots or candidates; 0 when no node can own a key. */
    int size();

    /** False when placement ignores the key, so the ring can skip hashing it. */
    default boolean usesKeyHash() {
        return true;
    }
}
