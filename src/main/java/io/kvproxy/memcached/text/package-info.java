/**
 * memcached's text protocol: a resumable request parser, the session that routes and merges, and the
 * backend reply framer. Errors are memcached 1.6's own words; the connection is kept where memcached keeps it.
 */
package io.kvproxy.memcached.text;
