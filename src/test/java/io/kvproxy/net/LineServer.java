package io.kvproxy.net;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real server on a free loopback port for the handshake tests, speaking a line protocol shaped like
 * Redis's: {@code AUTH secret} is answered {@code +OK}, {@code AUTH hang} never (a hung server), any other
 * password {@code -ERR}, and every other line {@code +PONG} once authenticated, {@code -NOAUTH} before. It serves one connection at a time and
 * records every line it read, over all connections. Closed by the test.
 */
final class LineServer implements AutoCloseable {

    private final ServerSocket listener;
    private final Thread serving;
    private final List<String> received = new CopyOnWriteArrayList<>();

    LineServer() throws IOException {
        listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        serving = new Thread(this::serve, "line-server");
        serving.setDaemon(true);
        serving.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Every line read so far, in order. */
    List<String> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() throws Exception {
        listener.close();
        serving.join(5_000);
    }

    private void serve() {
        while (!listener.isClosed()) {
            try (Socket socket = listener.accept()) {
                BufferedReader lines = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = socket.getOutputStream();
                boolean authenticated = false;
                String line;
                while ((line = lines.readLine()) != null) {
                    received.add(line);
                    if (line.equals("AUTH hang")) {
                        continue;
                    }
                    String reply;
                    if (line.startsWith("AUTH ")) {
                        authenticated = line.equals("AUTH secret");
                        reply = authenticated ? "+OK" : "-ERR invalid password";
                    } else {
                        reply = authenticated ? "+PONG" : "-NOAUTH Authentication required";
                    }
                    out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } catch (IOException e) {
                // The listener was closed by the test, or the peer closed its connection: serve the next one.
                if (listener.isClosed()) {
                    return;
                }
            }
        }
    }
}
