package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults a real memcached cannot produce, from a scripted backend: garbage, a truncated reply, a length
 * that never arrives, a close in the middle of a value. Each must give the client an error, never a wrong
 * value, and the next request must be answered correctly once the server behaves.
 */
@Timeout(120)
class BadBackendIT {

    /** What the scripted server answers to a get. */
    enum Fault {
        GOOD("END\r\n", false),
        GARBAGE("BOGUS REPLY\r\n", false),
        TRUNCATED_THEN_CLOSE("VALUE k 0 10\r\nabc", true),
        HUGE_LENGTH_NEVER_SENT("VALUE k 0 99999999\r\nabc", false),
        CLOSE_MID_VALUE("VALUE k 0 5\r\nab", true),
        STALLED_MID_VALUE("VALUE k 0 10\r\nabc", false);

        final String reply;
        final boolean close;

        Fault(String reply, boolean close) {
            this.reply = reply;
            this.close = close;
        }
    }

    @TempDir
    Path dir;
    final AtomicReference<Fault> fault = new AtomicReference<>(Fault.GOOD);
    final List<Socket> accepted = new CopyOnWriteArrayList<>();
    ServerSocket server;
    Thread acceptor;
    KvproxyProcess proxy;

    @BeforeEach
    void start() throws Exception {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "scripted-backend");
        acceptor.setDaemon(true);
        acceptor.start();
        int port = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir,
                "thread_count = 1\nrecv_timeout = 300\nfailover_threshold = 100",
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n[master]\n127.0.0.1:" + server.getLocalPort() + " = \"1:100\"\n"));
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        server.close();
        for (Socket socket : accepted) {
            socket.close();
        }
        acceptor.join(5000);
        assertTrue(!acceptor.isAlive());
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.add(socket);
                Thread serve = new Thread(() -> serve(socket), "scripted-backend-connection");
                serve.setDaemon(true);
                serve.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /**
     * Text connections only: answers version and the proxy's own stats samples honestly (an empty
     * report), and get as the current fault says.
     */
    private void serve(Socket socket) {
        try (socket) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("version")) {
                    out.write("VERSION 1.6.18\r\n".getBytes(StandardCharsets.ISO_8859_1));
                } else if (line.startsWith("stats")) {
                    out.write("END\r\n".getBytes(StandardCharsets.ISO_8859_1));
                } else if (line.startsWith("get ")) {
                    Fault now = fault.get();
                    out.write(now.reply.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (now.close) {
                        return;
                    }
                }
                out.flush();
            }
        } catch (IOException e) {
            // The proxy closed the connection: the end of this script.
        }
    }

    @Test
    void everyFaultGivesAnErrorAndTheNextRequestIsAnsweredCorrectly() throws Exception {
        try (RawClient c = new RawClient(proxy.port())) {
            assertEquals("END\r\n", c.call("get k\r\n", "\r\n"));
            for (Fault each : new Fault[] {Fault.GARBAGE, Fault.TRUNCATED_THEN_CLOSE, Fault.HUGE_LENGTH_NEVER_SENT, Fault.CLOSE_MID_VALUE,
                    Fault.STALLED_MID_VALUE}) {
                fault.set(each);
                String reply = c.call("get k\r\n", "\r\n");
                assertTrue(reply.equals("SERVER_ERROR backend unavailable\r\n") || reply.equals("SERVER_ERROR backend timeout\r\n"),
                        each + " gave " + reply);
                fault.set(Fault.GOOD);
                assertTrue(Await.until(Duration.ofSeconds(10), () -> {
                    try {
                        return c.call("get k\r\n", "\r\n").equals("END\r\n");
                    } catch (IOException e) {
                        return false;
                    }
                }), "no recovery after " + each + "\n" + proxy.log());
            }
        }
        String log = proxy.log();
        assertTrue(log.contains("unparseable reply: expected VALUE or END"), log);
        assertTrue(log.contains("closed by server"), log);
        assertTrue(log.contains("larger than max_packet"), log);
        assertTrue(log.contains("reply stalled mid-way"), log);
    }
}
