package io.kvproxy.spi;

/** Why a backend request got no reply. */
public enum BackendFailure {
    /** Not answered within {@code recv_timeout}. */
    TIMEOUT("backend timeout"),
    /** Refused or failed connect, closed connection, or unparseable reply. */
    UNAVAILABLE("backend unavailable");

    private final String message;

    BackendFailure(String message) {
        this.message = message;
    }

    /** The text clients see after {@code SERVER_ERROR}. */
    public String message() {
        return message;
    }
}
