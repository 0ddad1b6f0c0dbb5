package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that reads its replies slowly but steadily is served whole, however much is waiting for it;
 * only one that stops reading is cut off (RoutingIT's aClientThatStopsReadingIsDisconnectedWithoutStallingOthers),
 * or one that has more replies waiting than the memory guard lets one client hold.
 */
@Timeout(120)
class SlowReaderIT {

    private static final int VALUE_BYTES = 1024 * 1024;
    /** 100 MiB of replies: more than any limit on unread bytes would let wait. */
    private static final int GETS = 100;
    private static final long READ_BYTES_PER_SECOND = 6L * 1000 * 1000;

    @TempDir
    Path dir;
    private final List<MemcachedServer> servers = new ArrayList<>();
    private KvproxyProcess proxy;

    @AfterEach
    void stop() throws Exception {
        KvproxyProcess.stopAll(proxy, servers);
    }

    @Test
    void aClientReadingALargePipelinedReplySteadilyIsNotCutOff() throws Exception {
        proxy = KvproxyProcess.startOverMaster(dir, servers, 1, "thread_count = 1\nrecv_timeout = 3000");
        String value = "s".repeat(VALUE_BYTES);
        try (RawClient writer = new RawClient(proxy.port())) {
            assertEquals("STORED\r\n", writer.call("set slow:a 0 0 " + VALUE_BYTES + "\r\n" + value + "\r\n", "\r\n"));
        }
        byte[] oneReply = ("VALUE slow:a 0 " + VALUE_BYTES + "\r\n" + value + "\r\nEND\r\n").getBytes(StandardCharsets.US_ASCII);
        long expectedBytes = (long) GETS * oneReply.length;
        try (Socket slow = new Socket()) {
            // A small receive buffer, so that what waits is in the proxy, not in this kernel.
            slow.setReceiveBufferSize(64 * 1024);
            slow.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2000);
            slow.setSoTimeout(15_000);
            slow.getOutputStream().write("get slow:a\r\n".repeat(GETS).getBytes(StandardCharsets.US_ASCII));
            long received = readPaced(slow.getInputStream(), oneReply, expectedBytes);
            assertEquals(expectedBytes, received);
        }
        assertFalse(proxy.log().contains("stopped reading"), proxy.log());
    }

    @Test
    void aClientWhoseWaitingRepliesOutgrowTheMemoryGuardIsDisconnected() throws Exception {
        proxy = KvproxyProcess.startOverMaster(dir, servers, 1, "thread_count = 1\nrecv_timeout = 3000");
        String value = "g".repeat(VALUE_BYTES);
        try (RawClient writer = new RawClient(proxy.port())) {
            assertEquals("STORED\r\n", writer.call("set guard:a 0 0 " + VALUE_BYTES + "\r\n" + value + "\r\n", "\r\n"));
        }
        // 300 MiB of replies asked for at once and none read: more than one client may have waiting. Binary
        // GETs: a text retrieval's servers are held back while its client has 4 MiB unread.
        try (RawClient greedy = new RawClient(proxy.port()); RawClient other = new RawClient(proxy.port())) {
            java.io.ByteArrayOutputStream gets = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 300; i++) {
                gets.writeBytes(BinaryPackets.request(BinaryPackets.GET, new byte[0], "guard:a", "", i));
            }
            greedy.send(gets.toByteArray());
            assertTrue(Await.until(Duration.ofSeconds(30), () -> proxy.log().contains("more than the 240 MiB one client may hold")),
                    proxy.log());
            assertEquals("VERSION 1.6.18 kvproxy-0.1.0\r\n", other.call("version\r\n", "\r\n"));
            assertTrue(other.call("get guard:a\r\n", "END\r\n").startsWith("VALUE guard:a 0 " + VALUE_BYTES + "\r\n"));
        }
    }

    /**
     * Reads everything at {@link #READ_BYTES_PER_SECOND}, checking each byte against the repeated reply;
     * returns the bytes read before the stream ended or {@code expectedBytes} were read.
     */
    private static long readPaced(InputStream in, byte[] oneReply, long expectedBytes) throws IOException, InterruptedException {
        byte[] chunk = new byte[16 * 1024];
        long received = 0;
        long started = System.nanoTime();
        while (received < expectedBytes) {
            int read = in.read(chunk, 0, (int) Math.min(chunk.length, expectedBytes - received));
            if (read < 0) {
                throw new IOException("cut off after " + received + " of " + expectedBytes + " reply bytes");
            }
            for (int i = 0; i < read; i++) {
                if (chunk[i] != oneReply[(int) ((received + i) % oneReply.length)]) {
                    throw new AssertionError("reply byte " + (received + i) + " differs");
                }
            }
            received += read;
            // The pace is the point of the test: sleep until the bytes so far are due at this rate.
            long dueNanos = received * 1_000_000_000L / READ_BYTES_PER_SECOND;
            long aheadNanos = dueNanos - (System.nanoTime() - started);
            if (aheadNanos > 0) {
                Thread.sleep(aheadNanos / 1_000_000, (int) (aheadNanos % 1_000_000));
            }
        }
        return received;
    }
}
