package io.kvproxy.route;

/**
 * The placement half of a {@link Ring}: given the hash of a key, which node owns it. A ring does the
 * shared work (empty ring, single node, hash tag, key hash) and then asks its continuum, so each
 * distribution is only its own data structure. Implementations are immutable and allocation-free.
 */
sealed interface Continuum permits PointContinuum, ModulaContinuum, RandomContinuum {

    /** {@link RingNode#index()} of the owner of a key with hash {@code keyHash} (unsigned). */
    int ownerOf(int keyHash);

    /** Number of entries: points, weight slots or candidates; 0 when no node can own a key. */
    int size();

    /** False when placement ignores the key, so the ring can skip hashing it. */
    default boolean usesKeyHash() {
        return true;
    }
}
