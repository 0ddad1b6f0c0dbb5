/**
 * RESP2, the Redis wire format, as a sharding proxy needs it; every class here allocates nothing per
 * request and belongs to one connection (or is stateless).
 *
 * <ul>
 *   <li>{@link io.kvproxy.redis.resp.RedisRequestParser}: a client's requests out of its input buffer,
 *       RESP arrays and inline lines, exactly as redis-server 7 reads them, with its errors and limits;
 *       resumable wherever the bytes stop.</li>
 *   <li>{@link io.kvproxy.redis.resp.RedisRequest}: one parsed request, its arguments as offsets into
 *       the input buffer (an inline line's quoted arguments unescaped in place).</li>
 *   <li>{@link io.kvproxy.redis.resp.InlineSplitter}: redis-server's {@code sdssplitargs}, in place.</li>
 *   <li>{@link io.kvproxy.redis.resp.RespReplyFramer}: where a backend's replies end, any nesting,
 *       handed on in parts of whole values so that a reply never has to fit in a buffer.</li>
 *   <li>{@link io.kvproxy.redis.resp.RespReplyReceiver}: a reply's receiver, telling the framer whether
 *       it takes one value per frame.</li>
 *   <li>{@link io.kvproxy.redis.resp.RespWriter}: requests and replies written as RESP.</li>
 * </ul>
 *
 * <pre>
 *  client bytes ─► RedisRequestParser ─► RedisRequest (offsets) ─► session: table, route
 *                                                        │ RespWriter.writeCommand (raw RESP, or inline re-encoded)
 *                                                        ▼
 *  backend bytes ─► RespReplyFramer ─► RespReplyReceiver.onReplyPart … onReply ─► client output
 * </pre>
 */
package io.kvproxy.redis.resp;
