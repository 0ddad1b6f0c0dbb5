package io.kvproxy.it;

import java.io.IOException;

/**
 * A server process a test started on a loopback port and may signal, kill and start again on the same
 * port: a memcached or a redis-server. {@link FaultSchedule} works on this, whatever the server speaks.
 *
 * @param <S> the kind of server, which {@link #restart()} starts again
 */
interface ServerProcess<S extends ServerProcess<S>> extends AutoCloseable {

    int port();

    /** {@code 127.0.0.1:port}, as a cluster section names a server. */
    default String address() {
        return "127.0.0.1:" + port();
    }

    long pid();

    boolean isAlive();

    /** A fresh process of the same kind and options on this one's port, once this one has ended. */
    S restart() throws IOException, InterruptedException;

    /** Ends the process (resumed first by whoever stopped it: a stopped process cannot take SIGTERM). */
    @Override
    void close();
}
