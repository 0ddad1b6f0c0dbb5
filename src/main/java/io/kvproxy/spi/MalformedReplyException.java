package io.kvproxy.spi;

/** A backend sent bytes that cannot be the reply to the request at the head of its FIFO. */
public final class MalformedReplyException extends Exception {

    public MalformedReplyException(String message) {
        super(message);
    }
}
