/**
 * Selector loops, connections and their state machines. Knows nothing of memcached: requests and replies
 * are bytes that the protocol extension (through {@code io.kvproxy.spi}) frames and routes.
 *
 * <pre>
 *            ┌──────────────────────── Worker (one thread, one Selector) ─────────────────────────┐
 *  client ──►│ ClientConnection.in ─► ClientSession ─► WorkerRoute ─► BackendConnection.out ─────►│── memcached
 *  client ◄──│ ClientConnection.out ◄─ session emits in request order ◄─ PendingReply ◄─ in+FIFO ◄│◄─ memcached
 *            └────────────────────────────────────────────────────────────────────────────────────┘
 * </pre>
 *
 * Every worker owns its clients and one connection to every backend server, so nothing on the request
 * path crosses threads or takes a lock. Backend connections are FIFOs: one reply per request, in order.
 */
package io.kvproxy.net;
