package io.kvproxy.net;

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

/**
 * The health monitor's question to an out server: the protocol's own probe request (memcached:
 * {@code version}) over a fresh connection of {@link Protocol#PROBE_KIND}, after that kind's handshake
 * (Redis: AUTH, SELECT) as every backend connection has it, answered within {@code recv_timeout}, or not;
 * a server that refuses the handshake fails the probe, as its connections would fail. A server that
 * accepts connections but hangs fails it, so it does not flap back in. Runs on the monitor's thread.
 */
public final class ServerProbe implements HealthMonitor.Prober {

    private final Protocol protocol;
    private final Clock clock;
    private final long connectTimeoutMillis;
    private final long recvTimeoutMillis;
    private final int maxPacketBytes;

    public ServerProbe(Protocol protocol, Clock clock, long connectTimeoutMillis, long recvTimeoutMillis, int maxPacketBytes) {
        this.protocol = protocol;
        this.clock = clock;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.recvTimeoutMillis = recvTimeoutMillis;
        this.maxPacketBytes = maxPacketBytes;
    }

    @Override
    public String probe(String host, int port) {
        Buffer out = new Buffer(64, 64 * 1024);
        Buffer in = new Buffer(256, maxPacketBytes + 64 * 1024);
        int handshakes = protocol.writeHandshake(Protocol.PROBE_KIND, out);
        protocol.writeProbe(out);
        ReplyFramer framer = protocol.newReplyFramer(Protocol.PROBE_KIND);
        boolean[] healthy = {false};
        PendingReply receiver = protocol.newProbeReceiver(answered -> healthy[0] = answered);
        PendingReply handshake = handshakes == 0 ? null : protocol.newHandshakeReceiver(Protocol.PROBE_KIND, answered -> healthy[0] = answered);
        try (SocketChannel channel = SocketChannel.open(); Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.connect(new InetSocketAddress(host, port));
            SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT);
            if (selector.select(connectTimeoutMillis) == 0 || !channel.finishConnect()) {
                return "connect timed out";
            }
            key.interestOps(SelectionKey.OP_WRITE);
            long deadline = clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(recvTimeoutMillis);
            while (!out.isEmpty()) {
                out.writeTo(channel);
                if (!out.isEmpty() && selector.select(remainingMillis(deadline)) == 0) {
                    return "probe not sent within recv_timeout";
                }
                selector.selectedKeys().clear();
            }
            key.interestOps(SelectionKey.OP_READ);
            // The handshake's replies come first, each judged on its own; then the probe's.
            PendingReply current = handshakes == 0 ? receiver : handshake;
            while (true) {
                long wait = remainingMillis(deadline);
                if (wait <= 0 || selector.select(wait) == 0) {
                    return "no answer within recv_timeout (" + recvTimeoutMillis + " ms)";
                }
                selector.selectedKeys().clear();
                if (in.readFrom(channel) < 0) {
                    return "connection closed";
                }
                int length;
                while ((length = framer.frame(in, framer.expectation(current))) > 0) {
                    healthy[0] = false;
                    current.onReply(in, in.readIndex(), length);
                    in.skip(length);
                    if (current == receiver) {
                        return healthy[0] ? null : "unexpected answer";
                    }
                    if (!healthy[0]) {
                        return "handshake refused";
                    }
                    if (--handshakes == 0) {
                        current = receiver;
                    }
                }
            }
        } catch (IOException e) {
            return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        } catch (MalformedReplyException e) {
            return "unparseable answer: " + e.getMessage();
        }
    }

    private long remainingMillis(long deadlineNanos) {
        long nanos = deadlineNanos - clock.nanoTime();
        return nanos <= 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos));
    }
}
