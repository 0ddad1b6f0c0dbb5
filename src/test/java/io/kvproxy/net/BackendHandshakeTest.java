package io.kvproxy.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ServerSpec;
import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.ProxyView;
import io.kvproxy.spi.Route;
import io.kvproxy.spi.WorkerTask;
import io.kvproxy.stats.ServerCounters;
import io.kvproxy.stats.ServerTimings;
import io.kvproxy.stats.WorkerCounters;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A real worker's backend connection to a real server ({@link LineServer}) runs the protocol's handshake
 * before any request: a request enqueued while the connection is being opened waits until the handshake
 * reply was judged healthy, and is never sent when it was not; a refused handshake is a failure of the
 * connection, held against the server's health. The request is made by the protocol's worker task, as
 * a session would make it.
 */
class BackendHandshakeTest {

    private static final long SECOND_NANOS = TimeUnit.SECONDS.toNanos(1);

    private LineServer server;
    private ServerSocketChannel listener;
    private Worker worker;
    private Thread thread;
    private Topology topology;
    /** What the task's request got: its reply line, or the failure. */
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

    @BeforeEach
    void startServer() throws Exception {
        server = new LineServer();
        listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress("127.0.0.1", 0));
        listener.configureBlocking(false);
    }

    @AfterEach
    void stop() throws Exception {
        if (worker != null) {
            worker.stop(0);
            thread.join(5_000);
            assertTrue(worker.isStopped(), "the worker did not stop");
        }
        listener.close();
        server.close();
    }

    @Test
    @Timeout(15)
    void aRequestWaitsForTheHandshakeAndThenGoesOut() throws Exception {
        start("AUTH secret");

        assertEquals("+PONG", answers.poll(10, TimeUnit.SECONDS));
        assertEquals(List.of("AUTH secret", "GET x"), server.received());
    }

    /** Refused ({@code -ERR}): the connection fails at once; unanswered: the requests time out, then it fails. */
    @ParameterizedTest
    @Timeout(15)
    @CsvSource({"AUTH wrong, failure UNAVAILABLE", "AUTH hang, failure TIMEOUT"})
    void aFailedHandshakeFailsTheConnectionAndTheRequestIsNeverSent(String handshake, String answer) throws Exception {
        start(handshake);

        assertEquals(answer, answers.poll(10, TimeUnit.SECONDS));
        // Recorded before the requests in flight were failed, so before the answer came.
        assertTrue(topology.health(0).failures() > 0, "no failure held against the server");
        assertTrue(server.received().stream().allMatch(line -> line.equals(handshake)), server.received().toString());
    }

    @Test
    @Timeout(15)
    void withoutAHandshakeTheRequestGoesStraightOut() throws Exception {
        start(null);

        assertEquals("-NOAUTH Authentication required", answers.poll(10, TimeUnit.SECONDS));
        assertEquals(List.of("GET x"), server.received());
    }

    /** One worker serving one pool of one server, whose task sends {@code GET x} as soon as it runs. */
    private void start(String handshake) throws Exception {
        topology = Topology.build(new ClusterSpec("master", List.of(new ServerSpec("127.0.0.1", server.port(), "a", 100, 1))),
                null, null, Distribution.KETAMA, HashFunction.MD5, null, new byte[0]);
        LineProtocol protocol = new LineProtocol(handshake, (route, startNanos) -> new OneRequest(route, startNanos));
        Pool pool = new Pool(0, "lines", listener, protocol, topology, new NoView(), List.of(new WorkerCounters(0)),
                new ServerTimings(1), List.of(new ServerCounters(1)));
        WorkerContext context = new WorkerContext(List.of(pool), new ClientSlots(10), Clock.SYSTEM, CpuAffinity.NONE,
                new LiveSettings(2 * SECOND_NANOS, SECOND_NANOS, SECOND_NANOS, 0, 100), 1 << 20, 1);
        worker = new Worker(0, context);
        thread = new Thread(worker);
        thread.start();
    }

    /** Sends one request at start, on the worker's connection to the server, and records its answer. */
    private final class OneRequest implements WorkerTask, PendingReply {

        private final Route route;
        private long dueNanos;

        OneRequest(Route route, long startNanos) {
            this.route = route;
            this.dueNanos = startNanos;
        }

        @Override
        public long nextDeadlineNanos() {
            return dueNanos;
        }

        @Override
        public void run(long nowNanos) {
            dueNanos = nowNanos + 3600 * SECOND_NANOS;
            Backend backend = route.backendAt(ClusterRole.MASTER, 0, 0);
            if (!backend.isAvailable()) {
                answers.add("backend not available");
                return;
            }
            backend.output().putAscii("GET x\r\n");
            backend.enqueue(this);
        }

        @Override
        public void onReply(Buffer buffer, int offset, int length) {
            answers.add(buffer.toString(offset, length).strip());
        }

        @Override
        public void onFailure(BackendFailure failure) {
            answers.add("failure " + failure);
        }
    }

    /** No client asks for the proxy's state in these tests. */
    static final class NoView implements ProxyView {
        @Override
        public String statusReport() {
            throw new UnsupportedOperationException("no status in the handshake tests");
        }

        @Override
        public void forEachStat(StatSink sink) {
            throw new UnsupportedOperationException("no stats in the handshake tests");
        }

        @Override
        public void forEachSetting(StatSink sink) {
            throw new UnsupportedOperationException("no stats in the handshake tests");
        }

        @Override
        public void resetStats() {
            throw new UnsupportedOperationException("no stats in the handshake tests");
        }

        @Override
        public String version() {
            return "test";
        }
    }
}
