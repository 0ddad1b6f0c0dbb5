/**
 * memcached's text protocol, classic and meta: a resumable request parser (with {@code MetaRequestParser}
 * for the meta lines), the session that routes and merges ({@code MetaCommands} for mg ms md ma me), and
 * the backend reply framer (VALUE blocks one at a time, a meta VA reply whole), and the sampler that asks
 * each worker's share of the servers for their stats. Errors are memcached 1.6's
 * own words; the connection is kept where memcached keeps it.
 *
 * <pre>
 * client bytes → TextRequestParser → TextRequest (+ MetaRequest)
 *      → TextSession.dispatch ─┬ classic: forward / retrieve / flushAll
 *                              └ meta: MetaCommands.dispatch (q made loud, b decoded for routing)
 *      → Backend FIFO, one loud request each → TextReplyFramer → PendingCommand (withholds what q hides,
 *        replicates what the master accepted; its parts in the SPI's RequestParts) → the SPI's ReplyQueue,
 *        in request order → client
 * </pre>
 */
package io.kvproxy.memcached.text;
