package io.kvproxy.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The probe of an out server runs the protocol's handshake first, as every backend connection does: a
 * server that wants a password answers the probe only after it, and one that refuses the handshake fails
 * the probe. The server is a real socket on loopback ({@link LineServer}).
 */
class ServerProbeTest {

    private LineServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = new LineServer();
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    @Test
    @Timeout(10)
    void theHandshakeGoesFirstAndThenTheProbeIsAnswered() {
        assertNull(probe(new LineProtocol("AUTH secret", null)));
        assertEquals(List.of("AUTH secret", "PING"), server.received());
    }

    @Test
    @Timeout(10)
    void aRefusedHandshakeFailsTheProbe() {
        assertEquals("handshake refused", probe(new LineProtocol("AUTH wrong", null)));
    }

    @Test
    @Timeout(10)
    void withoutAHandshakeTheProbeAloneIsSent() {
        assertEquals("unexpected answer", probe(new LineProtocol(null, null)));
        assertEquals(List.of("PING"), server.received());
    }

    private String probe(LineProtocol protocol) {
        return new ServerProbe(protocol, Clock.SYSTEM, 2_000, 2_000, 1 << 20).probe("127.0.0.1", server.port());
    }
}
