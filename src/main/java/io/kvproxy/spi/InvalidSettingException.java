package io.kvproxy.spi;

/** A protocol-specific setting the extension cannot accept; the daemon reports it with file and line. */
public final class InvalidSettingException extends Exception {

    private final String key;

    public InvalidSettingException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** The offending key of the extension section. */
    public String key() {
        return key;
    }
}
