/**
 * Process life: the command line, loading the config and the protocol extension, wiring workers to the
 * listener, logging, pid file and graceful stop.
 */
package io.kvproxy.daemon;
