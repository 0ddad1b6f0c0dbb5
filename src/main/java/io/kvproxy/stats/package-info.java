/**
 * The proxy's counters and its reports: the original kvproxy {@code status} text, the figures behind
 * memcached's {@code stats}, and twemproxy's stats JSON ({@link io.kvproxy.stats.TwemproxyStats}, from the
 * per-server {@link io.kvproxy.stats.ServerCounters}). Each worker writes only its own counters (single
 * writer, ordered stores, no locks); readers on other threads sum them.
 */
package io.kvproxy.stats;
