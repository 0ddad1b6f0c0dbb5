package io.kvproxy.spi;

/**
 * Why the core turns a client away before any session exists for it. The protocol words it ({@link
 * Protocol#refusal}): the core writes no protocol's bytes of its own.
 */
public enum Refusal {
    /** {@code max_clients} client connections are open already; the connection is closed after the reply. */
    TOO_MANY_CONNECTIONS
}
