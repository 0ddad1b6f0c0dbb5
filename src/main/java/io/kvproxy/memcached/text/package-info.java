/**
 * memcached's text protocol: a resumable request parser, the session that routes and merges, the backend
 * reply framer, and the sampler that asks each worker's share of the servers for their stats. Errors are
 * memcached 1.6's own words; the connection is kept where memcached keeps it.
 */
package io.kvproxy.memcached.text;
