/**
 * The memcached protocol extension. Ships as {@code ext/memcached.jar} and reaches the core only through
 * {@code io.kvproxy.spi}: {@link io.kvproxy.memcached.MemcachedProvider} is found by ServiceLoader, each
 * client connection gets a {@link io.kvproxy.memcached.MemcachedSession} that picks the text or binary
 * codec from the connection's first byte, as memcached itself does.
 */
package io.kvproxy.memcached;
