package io.kvproxy.memcached;

import io.kvproxy.route.Distribution;
import io.kvproxy.route.HashFunction;
import io.kvproxy.route.Ring;
import io.kvproxy.route.RingNode;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.ScriptedChannel;
import io.kvproxy.spi.ClientSession;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.ExtensionSettings;
import io.kvproxy.spi.MalformedReplyException;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ReplyFramer;
import io.kvproxy.spi.Replicator;
import io.kvproxy.spi.Route;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The whole request path of one worker, in one process and without sockets: a client's request is parsed
 * by the memcached session, its keys hashed on a two-server ketama ring (md5, as twemproxy's default
 * deployments), forwarded into the backends' output buffers, answered there by a minimal in-memory
 * responder, framed by the protocol's reply framer, merged in key order and written to the client's
 * output. What it leaves out is the kernel: socket reads, writes and epoll, which the profile of
 * {@code sbin/bench} shows to be most of the cost.
 *
 * <p>Each JMH thread has its own session and backends, as each worker owns its connections, so running it
 * with {@code -t N} shows how the request path scales with workers on N cores: nothing is shared.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RequestPathBenchmark {

    private static final int VALUE_BYTES = 100;

    private final InProcessBackend[] backends = new InProcessBackend[2];
    private Buffer clientIn;
    private Buffer clientOut;
    private ClientSession session;
    private byte[] getOne;
    private byte[] getTen;
    private byte[] setOne;

    @Setup
    public void setUp() throws Exception {
        Protocol protocol = new MemcachedProvider().create(new ExtensionSettings(List.of()));
        Ring ring = Ring.build(Distribution.KETAMA, HashFunction.MD5, null,
                List.of(new RingNode("s1", 1, 0), new RingNode("s2", 1, 1)));
        for (int i = 0; i < backends.length; i++) {
            backends[i] = new InProcessBackend(protocol.newReplyFramer(MemcachedProtocol.TEXT_BACKEND));
        }
        clientIn = new Buffer(64 * 1024, 64 * 1024);
        ScriptedChannel channel = new ScriptedChannel(new TwoServerRoute(ring, backends), NO_BACKUP, new BufferPool(2 * 1024 * 1024));
        clientOut = channel.out;
        session = protocol.openSession(channel);

        String value = "v".repeat(VALUE_BYTES);
        StringBuilder ten = new StringBuilder("get");
        for (int i = 0; i < 10; i++) {
            ten.append(' ').append(key(i));
        }
        getOne = ("get " + key(3) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        getTen = (ten + "\r\n").getBytes(StandardCharsets.US_ASCII);
        setOne = ("set " + key(3) + " 0 0 " + VALUE_BYTES + "\r\n" + value + "\r\n").getBytes(StandardCharsets.US_ASCII);
        int servers = 0;
        for (int i = 0; i < 10; i++) {
            servers |= 1 << ring.serverFor(key(i).getBytes(StandardCharsets.US_ASCII));
        }
        if (servers != 3) {
            throw new IllegalStateException("the ten keys should span both servers");
        }
    }

    /** A 64-byte key, as memcaslap's. */
    private static String key(int i) {
        return String.format("bench:%058d", i);
    }

    /** A get of one key: one backend request, its reply forwarded to the client as it arrives. */
    @Benchmark
    public int get() throws MalformedReplyException {
        return roundTrip(getOne);
    }

    /** A get of ten keys over both servers: split, two backend requests, replies merged in key order. */
    @Benchmark
    public int multiGet10() throws MalformedReplyException {
        return roundTrip(getTen);
    }

    /** A set of a 100-byte value: the value copied buffer to buffer, STORED forwarded back. */
    @Benchmark
    public int set() throws MalformedReplyException {
        return roundTrip(setOne);
    }

    private int roundTrip(byte[] request) throws MalformedReplyException {
        clientIn.put(request);
        session.onRead(clientIn);
        for (InProcessBackend backend : backends) {
            backend.answer();
        }
        int replyBytes = clientOut.readable();
        if (replyBytes == 0) {
            throw new IllegalStateException("no reply reached the client");
        }
        clientOut.clear();
        return replyBytes;
    }

    /**
     * A backend connection without its socket: what the session writes to {@link #output()} is answered
     * like memcached would (every key a hit with a 100-byte value; every set STORED) and the answer framed
     * by the protocol's own framer, exactly as a backend connection delivers replies.
     */
    private static final class InProcessBackend implements Backend {

        private static final byte[] VALUE_PREFIX = "VALUE ".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] VALUE_SUFFIX = (" 0 " + VALUE_BYTES + "\r\n" + "v".repeat(VALUE_BYTES) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        private static final byte[] END = "END\r\n".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] STORED = "STORED\r\n".getBytes(StandardCharsets.US_ASCII);

        private final Buffer requests = new Buffer(64 * 1024, 64 * 1024);
        private final Buffer replies = new Buffer(64 * 1024, 64 * 1024);
        private final ArrayDeque<PendingReply> fifo = new ArrayDeque<>();
        private final ReplyFramer framer;

        InProcessBackend(ReplyFramer framer) {
            this.framer = framer;
        }

        void answer() throws MalformedReplyException {
            while (!requests.isEmpty()) {
                int start = requests.readIndex();
                int lineEnd = requests.indexOf((byte) '\n', start, requests.writeIndex());
                if (requests.get(start) == 'g') {
                    answerGet(start + 4, lineEnd - 1);
                    requests.skip(lineEnd + 1 - start);
                } else {
                    requests.skip(lineEnd + 1 - start + VALUE_BYTES + 2);
                    replies.put(STORED);
                }
            }
            while (!replies.isEmpty()) {
                int length = framer.frame(replies, framer.expectation(fifo.peekFirst()));
                if (length == 0) {
                    throw new IllegalStateException("incomplete reply");
                }
                if (framer.endsReply()) {
                    fifo.pollFirst().onReply(replies, replies.readIndex(), length);
                } else {
                    fifo.peekFirst().onReplyPart(replies, replies.readIndex(), length);
                }
                replies.skip(length);
            }
            replies.clear();
        }

        /** get k1 k2 ...: a VALUE block per key in [from, crlf), then END. */
        private void answerGet(int from, int crlf) {
            int keyStart = from;
            for (int i = from; i <= crlf; i++) {
                if (i == crlf || requests.get(i) == ' ') {
                    replies.put(VALUE_PREFIX).put(requests, keyStart, i - keyStart).put(VALUE_SUFFIX);
                    keyStart = i + 1;
                }
            }
            replies.put(END);
        }

        @Override
        public boolean isAvailable() {
            return true;
        }

        @Override
        public Buffer output() {
            return requests;
        }

        @Override
        public void enqueue(PendingReply reply) {
            fifo.addLast(reply);
        }

        @Override
        public String address() {
            return "in-process";
        }
    }

    /** The route a worker gives its sessions, over the in-process backends. */
    private record TwoServerRoute(Ring ring, InProcessBackend[] backends) implements Route {

        @Override
        public Backend backendFor(ClusterRole role, int kind, Buffer key, int offset, int length) {
            return backends[ring.serverFor(key.raw(), offset, length)];
        }

        @Override
        public int serverCount(ClusterRole role) {
            return role == ClusterRole.BACKUP ? 0 : backends.length;
        }

        @Override
        public Backend backendAt(ClusterRole role, int kind, int index) {
            return backends[index];
        }

        @Override
        public Backend writeBackendFor(int kind, Buffer key, int offset, int length) {
            return backends[ring.serverFor(key.raw(), offset, length)];
        }

        @Override
        public byte[] syncPrefix() {
            return new byte[0];
        }
    }

    /** The benchmark's pool has no backup cluster. */
    private static final Replicator NO_BACKUP = new Replicator() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public ReplicaWrite start(int kind, Buffer key, int keyOffset, int keyLength, boolean sync) {
            throw new IllegalStateException("no backup cluster in the benchmark");
        }
    };
}
