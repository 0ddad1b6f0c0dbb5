package io.kvproxy.daemon;

import io.kvproxy.stats.TwemproxyStats;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * twemproxy's stats port ({@code stats_port}): whoever connects is written the stats JSON, then the
 * connection is closed, as nutcracker does. Its own thread with blocking sockets: a report is rare and
 * small (a few KiB: it fits the socket's send buffer, so a reader that does not read cannot stall the
 * port), and keeping it off the workers keeps the request path free of it.
 */
final class StatsPort implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(StatsPort.class);

    private final ServerSocketChannel listener;
    private final TwemproxyStats stats;
    private final String address;

    private StatsPort(ServerSocketChannel listener, TwemproxyStats stats, String address) {
        this.listener = listener;
        this.stats = stats;
        this.address = address;
    }

    /** Binds {@code host:port}; the failure names the key, so that the message says what to change. */
    static StatsPort bind(String host, int port, TwemproxyStats stats) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        String address = host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
        try {
            listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            listener.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            listener.close();
            throw new IOException("stats_port cannot listen on " + address + ": " + e.getMessage(), e);
        }
        return new StatsPort(listener, stats, address);
    }

    String address() {
        return address;
    }

    @Override
    public void run() {
        while (listener.isOpen()) {
            try (SocketChannel client = listener.accept()) {
                answer(client);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // One client's failure (it left early, or took nothing for the write timeout); the port goes on.
                log.debug("stats port {}: a report was not delivered: {}", address, e.toString());
            }
        }
    }

    private void answer(SocketChannel client) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(stats.json(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            client.write(bytes);
        }
    }

    /** Stops accepting; the thread ends. */
    void close() {
        try {
            listener.close();
        } catch (IOException e) {
            log.warn("stats port {}: close failed: {}", address, e.toString());
        }
    }
}
