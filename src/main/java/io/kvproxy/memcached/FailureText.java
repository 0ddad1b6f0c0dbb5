package io.kvproxy.memcached;

import io.kvproxy.spi.BackendFailure;

/** How memcached clients are told a backend failed: the text after {@code SERVER_ERROR} (binary: the status's body). */
public final class FailureText {

    private FailureText() {
    }

    public static String of(BackendFailure failure) {
        return switch (failure) {
            case TIMEOUT -> "backend timeout";
            case UNAVAILABLE -> "backend unavailable";
        };
    }
}
