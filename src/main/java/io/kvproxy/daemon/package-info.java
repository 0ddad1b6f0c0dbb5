/**
 * Process life: the command line, loading the config and the protocol extension, wiring workers to the
 * listener, logging, pid file, the instance a config file names, reload (re-read, validate, refuse
 * what needs a restart, hand the rest to a {@link io.kvproxy.daemon.ConfigApplier}), the stats port
 * (twemproxy's JSON, on a thread of its own) and graceful stop.
 */
package io.kvproxy.daemon;
