package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request path allocates nothing per request: the JVM's allocated-bytes counter of the worker threads
 * (shown by {@code stats} as worker_allocated_bytes) barely moves across 100,000 requests once warm.
 */
@Timeout(120)
class AllocationIT {

    private static final int REQUESTS = 100_000;

    @TempDir
    static Path dir;
    static final List<MemcachedServer> servers = new ArrayList<>();
    static KvproxyProcess proxy;

    @BeforeAll
    static void start() throws Exception {
        proxy = KvproxyProcess.startOverMaster(dir, servers, 2, "thread_count = 1");
    }

    @AfterAll
    static void stop() throws Exception {
        KvproxyProcess.stopAll(proxy, servers);
    }

    private static long allocatedBytes(RawClient c) throws Exception {
        for (String line : c.call("stats\r\n", "END\r\n").split("\r\n")) {
            if (line.startsWith("STAT kvproxy_worker_allocated_bytes ")) {
                return Long.parseLong(line.substring("STAT kvproxy_worker_allocated_bytes ".length()));
            }
        }
        throw new AssertionError("no worker_allocated_bytes");
    }

    /** A 64-byte key, as memcaslap's; ten of them in one get are 640 bytes of keys, more than a buffer starts with. */
    private static String key(int i) {
        return String.format("al:%061d", i);
    }

    /**
     * Runs {@code count} requests (text sets of 100-byte values, single gets and 10-key multi-gets over both
     * servers, meta quiet sets and gets, by plain and base64 key, binary GETK and SET) in pipelined batches.
     */
    private static void load(RawClient text, Socket binary, int count) throws Exception {
        String value = "v".repeat(100);
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            batch.append("set ").append(key(i)).append(" 0 0 100\r\n").append(value).append("\r\nget ").append(key(i))
                    .append("\r\nget");
            for (int k = 0; k < 10; k++) {
                batch.append(' ').append(key((i + k * 7) % 100));
            }
            batch.append("\r\n");
            // Meta: a quiet set, a get of it, and a get by its base64 key, decoded to be routed.
            String encoded = java.util.Base64.getEncoder().encodeToString(key(i).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            batch.append("ms ").append(key(i)).append(" 100 T0 q\r\n").append(value).append("\r\nmg ").append(key(i))
                    .append(" v k\r\nmg ").append(encoded).append(" b v\r\n");
        }
        batch.append("version\r\n");
        ByteArrayOutputStream packets = new ByteArrayOutputStream();
        for (int i = 0; i < 100; i++) {
            packets.writeBytes(BinaryPackets.request(BinaryPackets.SET, BinaryPackets.flagsAndExpiry(0, 0), "ab:" + i, "0123456789", i));
            packets.writeBytes(BinaryPackets.request(BinaryPackets.GETK, new byte[0], "ab:" + i, "", i));
        }
        packets.writeBytes(BinaryPackets.request(BinaryPackets.NOOP, new byte[0], "", "", 7777));
        byte[] binaryBatch = packets.toByteArray();
        String textBatch = batch.toString();
        for (int done = 0; done < count; done += 801) {
            text.send(textBatch);
            text.readUntil("VERSION 1.6.18 kvproxy-0.1.0\r\n");
            binary.getOutputStream().write(binaryBatch);
            BinaryPackets.readUntilOpaque(binary.getInputStream(), 7777);
        }
    }

    @Test
    void aHundredThousandRequestsAllocateNextToNothing() throws Exception {
        try (RawClient text = new RawClient(proxy.port()); Socket binary = new Socket("127.0.0.1", proxy.port())) {
            binary.setSoTimeout(5000);
            load(text, binary, 50_000);
            long before = allocatedBytes(text);
            load(text, binary, REQUESTS);
            long after = allocatedBytes(text);
            // The stats request itself (its report is built as text) is the one thing that allocates.
            double perRequest = (double) (after - before) / REQUESTS;
            System.out.printf("AllocationIT: %d bytes allocated by the worker over %d requests (%.2f per request)%n",
                    after - before, REQUESTS, perRequest);
            assertTrue(perRequest < 8, perRequest + " bytes per request");
        }
    }
}
