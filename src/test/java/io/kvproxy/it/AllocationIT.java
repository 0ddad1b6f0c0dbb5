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
    static final List<RedisServer> redisServers = new ArrayList<>();
    static KvproxyProcess proxy;
    /** The port of the daemon's second pool, a Redis one over two redis-server processes and a backup. */
    static int redisPort;

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < 2; i++) {
            servers.add(MemcachedServer.start());
            redisServers.add(RedisServer.start(null));
        }
        redisServers.add(RedisServer.start(null));
        int port = MemcachedServer.freePort();
        redisPort = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, "thread_count = 1",
                "[memcached]\nextension = memcached.jar\nhosts = master\n\n" + KvproxyProcess.cluster("master", servers)
                        + "\n[redis]\nextension = redis.jar\nlisten = 127.0.0.1:" + redisPort + "\nhosts = redis_master\n"
                        + "hosts_backup = redis_backup\n\n"
                        + "[redis_master]\n" + redisServers.get(0).address() + " = \"1:100\"\n"
                        + redisServers.get(1).address() + " = \"2:100\"\n"
                        + "[redis_backup]\n" + redisServers.get(2).address() + " = \"1:100\"\n"));
    }

    @AfterAll
    static void stop() throws Exception {
        KvproxyProcess.stopAll(proxy, servers);
        for (RedisServer server : redisServers) {
            server.close();
            assertTrue(!server.isAlive(), "redis-server " + server.address() + " still running");
        }
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

    /**
     * {@code count} Redis requests, pipelined in batches of 642 over both servers, the writes replicated to
     * the backup: SET and GET of 100-byte values, a 10-key MGET and a 2-key MSET (split), an inline PING,
     * writes with relative expiries (SET EX, SETEX, PEXPIRE; their replicas made absolute), and a refused
     * KEYS.
     */
    private static void loadRedis(Socket redis, int count) throws Exception {
        String value = "v".repeat(100);
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 80; i++) {
            batch.append(resp("SET", key(i), value)).append(resp("GET", key(i)));
            String[] mget = new String[11];
            mget[0] = "MGET";
            for (int k = 0; k < 10; k++) {
                mget[k + 1] = key((i + k * 7) % 80);
            }
            batch.append(resp(mget)).append(resp("MSET", key(i), value, key((i + 1) % 80), value)).append("PING\r\n");
            batch.append(resp("SET", key(i), value, "NX", "EX", "600")).append(resp("SETEX", key(i), "600", value))
                    .append(resp("PEXPIRE", key(i), "600000"));
        }
        batch.append(resp("KEYS", "*")).append(resp("ECHO", "end-of-batch"));
        byte[] bytes = batch.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] end = "$12\r\nend-of-batch\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.io.InputStream input = redis.getInputStream();
        for (int done = 0; done < count; done += 642) {
            redis.getOutputStream().write(bytes);
            // Read until the ECHO's reply, the batch's last: every reply before it has come.
            int matched = 0;
            while (matched < end.length) {
                int b = input.read();
                if (b < 0) {
                    throw new AssertionError("the redis pool closed the connection");
                }
                matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
            }
        }
    }

    private static String resp(String... args) {
        StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            request.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
        }
        return request.toString();
    }

    @Test
    void aHundredThousandRedisRequestsAllocateNextToNothing() throws Exception {
        try (RawClient text = new RawClient(proxy.port()); Socket redis = new Socket("127.0.0.1", redisPort)) {
            redis.setSoTimeout(5000);
            loadRedis(redis, 50_000);
            long before = allocatedBytes(text);
            loadRedis(redis, REQUESTS);
            long after = allocatedBytes(text);
            double perRequest = (double) (after - before) / REQUESTS;
            System.out.printf("AllocationIT: %d bytes allocated by the worker over %d Redis requests (%.2f per request)%n",
                    after - before, REQUESTS, perRequest);
            assertTrue(perRequest < 8, perRequest + " bytes per Redis request");
        }
    }
}
