/**
 * Key placement: which server of a cluster owns a key. No I/O and no threads of its own.
 *
 * <pre>
 *   config (hash, distribution, hash_tag, servers "id:weight")
 *        │
 *        ▼
 *   Cluster ── live servers ──▶ Ring.build(...)  ──▶  Ring (immutable, published through a volatile)
 *        ▲                                             │
 *   ServerHealth (failures; a server leaves/rejoins)   │  serverFor(buffer, offset, length)
 *        └── rebuild() on membership change            ▼  on every worker thread, lock-free
 *                                                 HashTag → HashFunction → Continuum → server index
 * </pre>
 *
 * <p>A {@link io.kvproxy.route.Ring} is built only from the servers that are live and is never
 * changed afterwards: when a server leaves or rejoins, its cluster builds a new ring and swaps it in,
 * so the worker threads, which all share the ring, never see a half-built one and need no lock. A
 * lookup reads the key where the protocol parsed it, inside the connection's buffer, with absolute
 * indices, and allocates nothing.
 *
 * <p>Placement is bit-compatible with twemproxy (nutcracker 0.5.0): the twelve
 * {@link io.kvproxy.route.HashFunction}s, ketama, modula and random, the hash tag rules and the
 * single-server and empty-key special cases; and with the original kvproxy's crc32 ring
 * ({@link io.kvproxy.route.Distribution#KVPROXY}). A server is placed by its config id, not its
 * address, so clusters sharing ids split keys alike.
 */
package io.kvproxy.route;
