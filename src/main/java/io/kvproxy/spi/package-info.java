/**
 * The protocol SPI: the only classes a protocol extension may use from the core.
 *
 * <p>An extension is a jar in {@code ext/} holding a {@link io.kvproxy.spi.ProtocolProvider} listed in
 * {@code META-INF/services}. The daemon loads it with a class loader that shares only this package (and
 * slf4j) with the core, so an extension cannot reach into the core and the core never names an
 * extension's classes.
 *
 * <p>Data flow for one client request (all on the worker thread that owns the client):
 * <pre>
 *  client socket ─► Buffer (client in) ─► ClientSession.onRead ─► Route.backendFor(key)
 *                                              │                        │
 *                                              │ writes request bytes   ▼
 *                                              └───────────────► Backend.output() + enqueue(PendingReply)
 *  backend socket ─► Buffer (backend in) ─► ReplyFramer.frame ─► PendingReply.onReply (view, copy now)
 *                                                                       │
 *  client socket ◄── ClientChannel.output() ◄── session emits replies in request order
 * </pre>
 *
 * <p>A request split over servers (a multi-key read, a request every server must see) keeps its parts in
 * {@link io.kvproxy.spi.RequestParts}; the session's {@link io.kvproxy.spi.ReplyQueue} releases each
 * merged reply to the client in request order, whichever server answered first.
 */
package io.kvproxy.spi;
