package io.kvproxy.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.it.MemcachedServer;
import io.kvproxy.it.Signals;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** sbin/bench's load generator against a real memcached: its requests, its reply framing, its schedule. */
@Timeout(120)
class LatencyLoadIT {

    private MemcachedServer memcached;
    private InetSocketAddress target;

    @BeforeEach
    void start() throws Exception {
        memcached = MemcachedServer.start();
        target = new InetSocketAddress("127.0.0.1", memcached.port());
    }

    @AfterEach
    void stop() {
        memcached.close();
    }

    @Test
    void framesWhatARealMemcachedAnswersToEveryWorkload() throws Exception {
        Workload.KeySpace keys = new Workload.KeySpace(200);
        assertEquals(0, LatencyLoad.preload(target, keys));
        ByteBuffer out = ByteBuffer.allocate(1 << 20);
        SplittableRandom random = new SplittableRandom(7);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int before = out.position();
            Workload.GET90.request(out, keys, random);
            // A set is answered STORED; a get of a stored key, its value.
            expected.add(out.get(before) == 's' ? "0 ok" : "1 ok");
        }
        for (int i = 0; i < 20; i++) {
            Workload.MGET10.request(out, keys, random);
            expected.add("10 ok");
        }
        for (int i = 0; i < 3; i++) {
            Workload.MGET100.request(out, keys, random);
            expected.add("100 ok");
        }
        out.put("get lat:none\r\nbogus\r\n".getBytes(StandardCharsets.US_ASCII));
        expected.add("0 ok");
        expected.add("0 error");
        out.flip();

        ByteArrayOutputStream received = new ByteArrayOutputStream();
        List<String> replies = new ArrayList<>();
        TextReplyParser parser = new TextReplyParser();
        try (SocketChannel channel = SocketChannel.open(target)) {
            while (out.hasRemaining()) {
                channel.write(out);
            }
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            while (replies.size() < expected.size()) {
                in.clear();
                assertTrue(channel.read(in) > 0, "memcached closed after " + replies.size() + " replies");
                in.flip();
                received.write(in.array(), 0, in.limit());
                parser.parse(in, (hits, error) -> replies.add(hits + (error ? " error" : " ok")));
            }
        }
        assertEquals(expected, replies);

        // The same bytes again, one at a time: every split point of the real replies.
        List<String> again = new ArrayList<>();
        TextReplyParser bytewise = new TextReplyParser();
        byte[] bytes = received.toByteArray();
        for (int i = 0; i < bytes.length; i++) {
            bytewise.parse(ByteBuffer.wrap(bytes, i, 1), (hits, error) -> again.add(hits + (error ? " error" : " ok")));
        }
        assertEquals(expected, again);
    }

    @Test
    void holdsTheAskedRateAndCountsWhatComesBack() throws Exception {
        for (Workload workload : Workload.values()) {
            LatencyLoad.Result result = LatencyLoad.run(new LatencyLoad.Settings("127.0.0.1", memcached.port(), 2_000,
                    workload, 8, 2, 2, 1, 1_000, 3));
            System.out.println("LatencyLoadIT: " + result.line());
            assertEquals(4_000, result.answered(), 40, result.line());
            // Answered per second until the last answer: a stall of this shared machine near the end of the
            // window stretches it, so the bound is loose; a generator that did not hold the rate misses it.
            assertEquals(2_000, result.achievedPerSecond(), 400, result.line());
            assertEquals(0, result.errors(), result.line());
            assertEquals(0, result.unanswered(), result.line());
            assertEquals(0, result.preloadErrors(), result.line());
            assertEquals(result.answered(), result.latency().getTotalCount(), result.line());
            if (workload == Workload.GET90) {
                // 90% gets of stored keys, each one hit; the sets hit nothing.
                assertEquals(0.9, (double) result.hits() / result.answered(), 0.03, result.line());
            } else {
                assertEquals(result.answered() * (workload == Workload.MGET10 ? 10 : 100), result.hits(), result.line());
            }
            assertTrue(result.latency().getValueAtPercentile(50) > 0, result.line());
        }
    }

    @Test
    void aStallOfTheTargetCountsForEveryRequestMeantToBeSentDuringIt() throws Exception {
        // 5,000 requests/s for 3 s with memcached stopped for 600 ms in the middle: the ~3,000 requests meant
        // to go during the stall wait up to 600 ms each, so more than 10% of all are slower than 100 ms. A closed
        // loop generator would have sent only its 8 connections' requests into the stall and seen 8 slow ones.
        // 3,000 is more than the 8 x 256 the pipelines hold: the rest wait for room, and still every request
        // meant for the window is sent, answered and measured from its intended time.
        Thread staller = new Thread(() -> {
            try {
                Thread.sleep(2_000);
                Signals.stop(memcached.pid());
                Thread.sleep(600);
                Signals.send("CONT", memcached.pid());
            } catch (Exception e) {
                throw new IllegalStateException("could not stall memcached", e);
            }
        });
        staller.start();
        LatencyLoad.Result result;
        try {
            result = LatencyLoad.run(new LatencyLoad.Settings("127.0.0.1", memcached.port(), 5_000, Workload.GET90,
                    8, 1, 3, 1, 1_000, 5));
        } finally {
            staller.join();
        }
        System.out.println("LatencyLoadIT (600 ms stall): " + result.line());
        assertEquals(15_000, result.answered(), result.line());
        assertEquals(0, result.unanswered(), result.line());
        assertTrue(result.latency().getValueAtPercentile(90) > 100_000_000L, result.line());
        assertTrue(result.latency().getMaxValue() > 500_000_000L, result.line());
    }
}
