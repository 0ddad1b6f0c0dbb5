/**
 * The Redis protocol extension ({@code ext/redis.jar}, section {@code [redis]}): RESP2 and inline
 * requests, twemproxy's command coverage, MGET/MSET/DEL/UNLINK/TOUCH/EXISTS split and merged,
 * {@code redis_auth} and {@code redis_db}. It depends on the SPI only.
 *
 * <ul>
 *   <li>{@link io.kvproxy.redis.RedisProvider}: the extension's entry point, listed in the jar's
 *       {@code META-INF/services}; {@link io.kvproxy.redis.RedisProtocol}, one per pool: the backend
 *       connection's handshake, probe and repairs.</li>
 *   <li>{@link io.kvproxy.redis.RedisSession}: one client: parse, AUTH gate, arity, refusals, routing by
 *       key, split requests, replication; {@link io.kvproxy.redis.RedisCall}: one request in flight, in
 *       request order; {@link io.kvproxy.redis.RedisReplica}: the backup's answer to a replica;
 *       {@link io.kvproxy.redis.VerdictReceiver}: the answer to a handshake step, probe or repair.</li>
 *   <li>{@link io.kvproxy.redis.RedisSettings}: {@code redis_auth} and {@code redis_db}, validated.</li>
 *   <li>{@link io.kvproxy.redis.RedisCounter}: the protocol's own counters, registered with the core by
 *       name: what the proxy refused itself (unsupported and unknown commands, AUTH failures, NOAUTH).</li>
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
