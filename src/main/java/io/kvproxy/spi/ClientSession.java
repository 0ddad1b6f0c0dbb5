package io.kvproxy.spi;

/**
 * The protocol's side of one client connection. Called only by the worker that owns the connection.
 */
public interface ClientSession {

    /**
     * New bytes arrived. Parse and dispatch as many whole requests as {@code in} holds, advancing its read
     * index over what was consumed; leave a partial request in place for the next call.
     */
    void onRead(Buffer in);

    /**
     * Whether the session wants more input now. A session with too many requests in flight or too much
     * reply data waiting says no; the core then stops reading the socket until it says yes again.
     */
    boolean wantsInput();

    /**
     * The client shut down its sending side (or the stream ended): no more input will come. The session
     * still answers every whole request it has (what {@code onRead} holds or will be fed), then asks for
     * the connection to be closed with {@link ClientChannel#closeAfterFlush}, as memcached does.
     */
    void onInputClosed();

    /**
     * Requests taken from the client whose replies have not yet been handed to the connection in full
     * (noreply requests still being applied included): what the client loses if it is closed now.
     */
    int unansweredRequests();

    /**
     * The connection is gone: nothing more will be written. Replies still in flight are not for the
     * client any more, but what they set in motion (replication) goes on.
     */
    void onClose();
}
