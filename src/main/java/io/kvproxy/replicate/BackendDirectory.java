package io.kvproxy.replicate;

import io.kvproxy.spi.Backend;

/** A worker's own backend connections, by connection kind and topology server index. */
@FunctionalInterface
public interface BackendDirectory {

    Backend backend(int kind, int serverIndex);
}
