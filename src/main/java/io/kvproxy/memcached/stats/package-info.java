/**
 * What {@code stats} tells a memcached client about the pool behind the proxy: the backends' figures,
 * sampled in the background by every worker over its own backend connections and added up here under
 * memcached's names, next to the proxy's own.
 *
 * <pre>
 *  worker i: TextStatsSampler --"stats", "stats items", "stats slabs"--> its share of the master servers
 *                 | (replies framed off each connection's FIFO like any other)
 *                 v
 *            PoolStats (one slot per server and group, published whole)
 *                 ^
 *  any worker: StatsReply <-- a client's "stats [group]" (text or binary), answered at once
 * </pre>
 */
package io.kvproxy.memcached.stats;
