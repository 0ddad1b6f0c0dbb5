/**
 * What each Redis command is to a sharding proxy, and how split commands are put back together.
 *
 * <ul>
 *   <li>{@link io.kvproxy.redis.command.RedisCommand}: the table of every command redis-server 7 knows:
 *       routed by a key (read or write), split over servers, sent to any server, answered by the proxy,
 *       or refused with an error naming it; redis-server's arity and error texts; found from the bytes of
 *       a request without allocating.</li>
 *   <li>{@link io.kvproxy.redis.command.SplitReplyMerge}: the per-server replies of a split MGET, MSET,
 *       DEL, UNLINK, TOUCH or EXISTS made into the client's one reply, in key order or summed, one part's
 *       error being the whole reply's, as twemproxy has it.</li>
 * </ul>
 *
 * <pre>
 *  MGET k1 k2 k3 ─► lookup ─► SPLIT: route each key; merge.addKey(part) … seal()
 *                       per part p: *n+1 MGET (partKey(p, 0..n)) ─► server of p
 *  replies, value by value ─► merge.onPartFrame(p, …) / onPartFailure(p, …) ─► isComplete ─► writeReply
 * </pre>
 */
package io.kvproxy.redis.command;
