/**
 * The proxy's counters and its two reports: the original kvproxy {@code status} text and the figures
 * behind memcached's {@code stats}. Each worker writes only its own counters (single writer, ordered
 * stores, no locks); readers on other threads sum them.
 */
package io.kvproxy.stats;
