package io.kvproxy.net;

import io.kvproxy.route.ServerHealth;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.MalformedReplyException;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ReplyFramer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes failing servers out of their rings and puts them back once they answer. Every {@code
 * failover_interval}: a server in the ring with {@code failover_threshold} consecutive failures is
 * ejected (its keys move to the next servers on each ring it is on); a server out of the ring is probed
 * with a real request of the protocol (memcached: {@code version}) and rejoins only when the answer
 * comes within {@code recv_timeout} — a server that accepts connections but hangs stays out.
 *
 * <p>A server that answers is not simply put back: every worker first connects to it and sends the
 * repair deletes its log holds (keys written to stand-ins while it was out, replicas it did not apply),
 * and only when all have been answered does it rejoin ({@link RejoinGate}). So it never serves a value
 * older than one acknowledged elsewhere during its absence, and no client meets a connection still
 * being opened.
 *
 * <p>Runs on its own thread; it touches workers only through the shared, thread-safe {@link
 * ServerHealth} records, the membership snapshots it replaces, and the workers' task queues.
 */
public final class HealthMonitor implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    private final Topology topology;
    private final Protocol protocol;
    private final int threshold;
    private final long intervalMillis;
    private final long connectTimeoutMillis;
    private final long recvTimeoutMillis;
    private final int maxPacketBytes;
    private final RejoinGate gate;
    private volatile boolean stopped;

    /** Lets a server back in only once every worker is ready for it. */
    public interface RejoinGate {
        /** Blocks until every worker has connected to {@code server} and repaired it; false if one could not. */
        boolean prepare(int server);

        /** The rejoin is over, whether the server is in or stays out. */
        void finish(int server);
    }

    public HealthMonitor(Topology topology, Protocol protocol, int threshold, long intervalMillis,
                         long connectTimeoutMillis, long recvTimeoutMillis, int maxPacketBytes, RejoinGate gate) {
        this.topology = topology;
        this.protocol = protocol;
        this.threshold = threshold;
        this.intervalMillis = intervalMillis;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.recvTimeoutMillis = recvTimeoutMillis;
        this.maxPacketBytes = maxPacketBytes;
        this.gate = gate;
    }

    public void stop() {
        stopped = true;
    }

    @Override
    public void run() {
        while (!stopped) {
            try {
                TimeUnit.MILLISECONDS.sleep(intervalMillis);
                check();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("health check failed; trying again next interval", e);
            }
        }
    }

    /** One pass: eject the failing, probe the ejected. */
    void check() {
        boolean changed = false;
        for (int i = 0; i < topology.serverCount(); i++) {
            ServerHealth health = topology.health(i);
            if (health.isOnline()) {
                int failures = health.consecutiveFailures();
                if (failures >= threshold) {
                    health.setOnline(false);
                    changed = true;
                    log.warn("server {} ejected: {} consecutive failures (failover_threshold {})", health.address(), failures, threshold);
                }
            } else {
                String verdict = probe(topology.server(i).host(), topology.server(i).port());
                if (verdict == null && !gate.prepare(i)) {
                    verdict = "answered a probe, but not every worker could connect to it and repair it in time";
                }
                if (verdict == null) {
                    health.recordSuccess();
                    health.setOnline(true);
                    topology.rebuildRings();
                    log.warn("server {} rejoined: answered a probe within {} ms, and every worker repaired it",
                            health.address(), recvTimeoutMillis);
                } else {
                    log.info("server {} stays out: {}", health.address(), verdict);
                }
                gate.finish(i);
            }
        }
        if (changed) {
            topology.rebuildRings();
        }
    }

    /** Sends the protocol's probe; returns null when it was answered well and in time, else why not. */
    private String probe(String host, int port) {
        Buffer out = new Buffer(64, 4096);
        Buffer in = new Buffer(256, maxPacketBytes + 64 * 1024);
        protocol.writeProbe(out);
        ReplyFramer framer = protocol.newReplyFramer(0);
        boolean[] healthy = {false};
        PendingReply receiver = protocol.newProbeReceiver(answered -> healthy[0] = answered);
        try (SocketChannel channel = SocketChannel.open(); Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.connect(new InetSocketAddress(host, port));
            SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT);
            if (selector.select(connectTimeoutMillis) == 0 || !channel.finishConnect()) {
                return "connect timed out";
            }
            key.interestOps(SelectionKey.OP_WRITE);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(recvTimeoutMillis);
            while (!out.isEmpty()) {
                out.writeTo(channel);
                if (!out.isEmpty() && selector.select(remainingMillis(deadline)) == 0) {
                    return "probe not sent within recv_timeout";
                }
                selector.selectedKeys().clear();
            }
            key.interestOps(SelectionKey.OP_READ);
            while (true) {
                long wait = remainingMillis(deadline);
                if (wait <= 0 || selector.select(wait) == 0) {
                    return "no answer within recv_timeout (" + recvTimeoutMillis + " ms)";
                }
                selector.selectedKeys().clear();
                if (in.readFrom(channel) < 0) {
                    return "connection closed";
                }
                int length = framer.frame(in, receiver);
                if (length > 0) {
                    receiver.onReply(in, in.readIndex(), length);
                    return healthy[0] ? null : "unexpected answer";
                }
            }
        } catch (IOException e) {
            return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        } catch (MalformedReplyException e) {
            return "unparseable answer: " + e.getMessage();
        }
    }

    private static long remainingMillis(long deadlineNanos) {
        long nanos = deadlineNanos - System.nanoTime();
        return nanos <= 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos));
    }
}
