/**
 * The Redis protocol extension ({@code ext/redis.jar}, section {@code [redis]}): RESP2 and inline
 * requests, twemproxy's command coverage, MGET/MSET/DEL/UNLINK/TOUCH/EXISTS split and merged,
 * {@code redis_auth} and {@code redis_db}. It depends on the SPI only.
 *
 * <ul>
 *   <li>{@link io.kvproxy.redis.RedisProvider}: the extension's entry point; until the session is wired
 *       (it needs SPI 4) it validates a section and refuses to build a protocol, and is not yet listed in
 *       {@code META-INF/services}.</li>
 *   <li>{@link io.kvproxy.redis.RedisSettings}: {@code redis_auth} and {@code redis_db}, validated.</li>
 *   <li>{@link io.kvproxy.redis.RedisAuth}: a client's AUTH against {@code redis_auth}, twemproxy's
 *       replies.</li>
 *   <li>{@link io.kvproxy.redis.BackendHandshake}: AUTH and SELECT on every new backend connection and
 *       probe, and the probe (PING).</li>
 *   <li>{@link io.kvproxy.redis.ProxyReplies}: what the proxy answers itself: PING, ECHO, unknown
 *       commands, NOAUTH, too many clients, a backend that failed; which server errors mean the server
 *       itself is failing.</li>
 * </ul>
 *
 * <p>Subpackages: {@code resp} (the wire format: parser, framer, writer) and {@code command} (the command
 * table and the merge of split replies).
 */
package io.kvproxy.redis;
