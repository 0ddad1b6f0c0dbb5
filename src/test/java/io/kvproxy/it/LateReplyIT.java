package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reply that comes after its request timed out is read as the reply to the request that was sent,
 * whatever the client did meanwhile. The proxy reuses a request's bookkeeping once its client has been
 * answered (here with a timeout); the late reply must still be framed, and thrown away, as what it is,
 * so that the next request on the connection gets its own reply and the connection is not reset.
 *
 * <p>The server hangs (SIGSTOP) while a get is in flight; the client is told "backend timeout", sends a
 * set, and the server resumes within the set's recv_timeout: it then answers the get (late) and the set.
 */
@Timeout(60)
class LateReplyIT {

    private static final int RECV_TIMEOUT_MILLIS = 500;

    @TempDir
    Path dir;
    MemcachedServer server;
    KvproxyProcess proxy;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        if (server != null) {
            Signals.send("CONT", server.pid());
            server.close();
        }
    }

    private void start() throws Exception {
        server = MemcachedServer.start();
        int port = MemcachedServer.freePort();
        // One worker, so that the client's requests and the late reply meet on one backend connection; a
        // threshold no hang here reaches, so that the server stays in the ring throughout.
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir,
                "thread_count = 1\nrecv_timeout = " + RECV_TIMEOUT_MILLIS + "\nfailover_threshold = 1000",
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + KvproxyProcess.cluster("master", java.util.List.of(server))));
    }

    @Test
    void aTextSetAfterATimedOutGetGetsItsOwnReply() throws Exception {
        start();
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("STORED\r\n", c.call("set late 0 0 5\r\nhello\r\n", "\r\n"));
            Signals.stop(server.pid());
            assertEquals("SERVER_ERROR backend timeout\r\n", c.call("get late\r\n", "\r\n"));
            c.send("set next 0 0 5\r\nworld\r\n");
            Thread.sleep(RECV_TIMEOUT_MILLIS / 5);
            Signals.send("CONT", server.pid());
            assertEquals("STORED\r\n", c.readUntil("\r\n"));
            assertEquals("VALUE next 0 5\r\nworld\r\nEND\r\n", c.call("get next\r\n", "END\r\n"));
        }
        assertFalse(proxy.log().contains("unparseable reply"), proxy.log());
    }

    @Test
    void aBinarySetAfterATimedOutGetGetsItsOwnReply() throws Exception {
        start();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()));
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            byte[] flags = BinaryPackets.flagsAndExpiry(0, 0);
            socket.getOutputStream().write(BinaryPackets.request(0x01, flags, "late", "hello", 1));
            assertEquals(0, BinaryPackets.read(in).status());
            Signals.stop(server.pid());
            socket.getOutputStream().write(BinaryPackets.request(0x00, new byte[0], "late", "", 2));
            BinaryPackets.Reply timedOut = BinaryPackets.read(in);
            assertEquals(2, timedOut.opaque());
            assertEquals("backend timeout", timedOut.value());
            socket.getOutputStream().write(BinaryPackets.request(0x01, flags, "next", "world", 3));
            Thread.sleep(RECV_TIMEOUT_MILLIS / 5);
            Signals.send("CONT", server.pid());
            BinaryPackets.Reply stored = BinaryPackets.read(in);
            assertEquals(3, stored.opaque());
            assertEquals(0, stored.status(), stored.toString());
        }
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("VALUE next 0 5\r\nworld\r\nEND\r\n", c.call("get next\r\n", "END\r\n"));
        }
        assertFalse(proxy.log().contains("unparseable reply"), proxy.log());
    }
}
