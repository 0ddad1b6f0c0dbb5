package io.kvproxy.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.ClientSession;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ReplyFramer;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The probe of an out server runs the protocol's handshake first, as every backend connection does: a
 * server that wants a password answers the probe only after it, and one that refuses the handshake fails
 * the probe. The server is a real socket on loopback speaking a line protocol (AUTH, then PING).
 */
class ServerProbeTest {

    private ServerSocket listener;
    private Thread serving;
    /** Every line the server read, over all connections. */
    private final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        serving = new Thread(this::serve, "probe-test-server");
        serving.setDaemon(true);
        serving.start();
    }

    @AfterEach
    void stopServer() throws Exception {
        listener.close();
        serving.join(5_000);
    }

    @Test
    @Timeout(10)
    void theHandshakeGoesFirstAndThenTheProbeIsAnswered() {
        String failure = probe(new LineProtocol("AUTH secret"));

        assertNull(failure);
        assertEquals(List.of("AUTH secret", "PING"), received);
    }

    @Test
    @Timeout(10)
    void aRefusedHandshakeFailsTheProbe() {
        assertEquals("handshake refused", probe(new LineProtocol("AUTH wrong")));
    }

    @Test
    @Timeout(10)
    void withoutAHandshakeTheProbeAloneIsSent() {
        assertEquals("unexpected answer", probe(new LineProtocol(null)));
        assertEquals(List.of("PING"), received);
    }

    private String probe(Protocol protocol) {
        return new ServerProbe(protocol, Clock.SYSTEM, 2_000, 2_000, 1 << 20).probe("127.0.0.1", listener.getLocalPort());
    }

    /** Answers PING with +PONG once AUTH secret was accepted, with -NOAUTH before. */
    private void serve() {
        while (!listener.isClosed()) {
            try (Socket socket = listener.accept()) {
                BufferedReader lines = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = socket.getOutputStream();
                boolean authenticated = false;
                String line;
                while ((line = lines.readLine()) != null) {
                    received.add(line);
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
                // The listener was closed by the test's teardown, or the probe closed its connection.
                if (listener.isClosed()) {
                    return;
                }
            }
        }
    }

    /** A line protocol with an optional one-line handshake; a reply is healthy when it starts with {@code +}. */
    private static final class LineProtocol implements Protocol {

        private final String handshake;

        LineProtocol(String handshake) {
            this.handshake = handshake;
        }

        @Override
        public int writeHandshake(int kind, Buffer out) {
            if (handshake == null) {
                return 0;
            }
            out.putAscii(handshake).putAscii("\r\n");
            return 1;
        }

        @Override
        public PendingReply newHandshakeReceiver(int kind, ProbeResult result) {
            return new Judge(result);
        }

        @Override
        public void writeProbe(Buffer out) {
            out.putAscii("PING\r\n");
        }

        @Override
        public PendingReply newProbeReceiver(ProbeResult result) {
            return new Judge(result);
        }

        @Override
        public ReplyFramer newReplyFramer(int kind) {
            return new ReplyFramer() {
                @Override
                public int expectation(PendingReply request) {
                    return 0;
                }

                @Override
                public int frame(Buffer in, int expectation) {
                    int newline = in.indexOf((byte) '\n', in.readIndex(), in.writeIndex());
                    return newline < 0 ? 0 : newline + 1 - in.readIndex();
                }

                @Override
                public void reset() {
                }
            };
        }

        @Override
        public int backendKinds() {
            return 1;
        }

        @Override
        public ClientSession openSession(ClientChannel channel) {
            throw new UnsupportedOperationException("no clients in a probe test");
        }

        @Override
        public void writeInvalidate(int kind, Buffer out, Buffer key, int offset, int length) {
            throw new UnsupportedOperationException("no repairs in a probe test");
        }

        @Override
        public void writeInvalidateAll(Buffer out) {
            throw new UnsupportedOperationException("no repairs in a probe test");
        }

        @Override
        public PendingReply newInvalidateReceiver(int kind, ProbeResult result) {
            throw new UnsupportedOperationException("no repairs in a probe test");
        }
    }

    /** Healthy when the line starts with {@code +}. */
    private record Judge(Protocol.ProbeResult result) implements PendingReply {
        @Override
        public void onReply(Buffer buffer, int offset, int length) {
            result.answered(buffer.get(offset) == '+');
        }

        @Override
        public void onFailure(BackendFailure failure) {
            result.answered(false);
        }
    }
}
