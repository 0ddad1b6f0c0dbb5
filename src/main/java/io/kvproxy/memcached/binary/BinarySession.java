package io.kvproxy.memcached.binary;

import io.kvproxy.memcached.MemcachedCounter;
import io.kvproxy.memcached.FailureText;
import static io.kvproxy.memcached.binary.Binary.*;

import io.kvproxy.memcached.ReplicaReceiver;
import io.kvproxy.spi.ReplyQueue;
import io.kvproxy.memcached.ServerVersion;
import io.kvproxy.memcached.stats.PoolStats;
import io.kvproxy.memcached.stats.StatsReply;
import io.kvproxy.memcached.binary.BinaryCommand.Kind;
import io.kvproxy.memcached.binary.BinaryRequest.Outcome;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.ClientSession;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Replicator;
import io.kvproxy.spi.Replicator.ReplicaWrite;
import io.kvproxy.spi.ProtocolCounter;
import io.kvproxy.spi.Route;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * One binary-protocol client: parses its packets, sends each keyed request to the server its key lives
 * on (as the loud opcode), and writes replies back in request order, withholding what quiet opcodes ask
 * not to see. A NOOP is answered by the proxy, and only after every reply before it — so a client's
 * GETKQ…NOOP multi-get is complete when the NOOP arrives, however many servers it touched.
 *
 * <p>Owner: the client connection's worker. Buffers: consumes the connection's input, appends to
 * binary backend connections' outputs and to the connection's output.
 */
public final class BinarySession implements ClientSession {

    /** Backend connection kind used for binary requests (memcached fixes a connection's protocol at its first byte). */
    public static final int BACKEND_KIND = 1;

    private final ClientChannel channel;
    private final Route route;
    private final Buffer out;
    private final BinaryRequestParser parser;
    private final BinaryRequest request = new BinaryRequest();
    private final ReplyQueue<BinaryCommand> replies;
    private final Replicator replicator;
    private final ArrayDeque<BinaryReplica> replicaPool = new ArrayDeque<>();
    /** The DELETE packet the proxy makes to unlink a key (see {@link #unlinkRefusedSet}); made on first use, then reused. */
    private Buffer unlinkPacket;

    private final StatsReply statsReply;

    public BinarySession(ClientChannel channel, PoolStats poolStats) {
        this.statsReply = new StatsReply(channel.proxy(), poolStats);
        this.channel = channel;
        this.route = channel.route();
        this.out = channel.output();
        this.parser = new BinaryRequestParser(channel.maxPacketBytes());
        this.replies = new ReplyQueue<>(channel, () -> new BinaryCommand(this, channel.bufferPool()));
        this.replicator = channel.replicator();
    }

    @Override
    public void onRead(Buffer in) {
        while (replies.acceptsInput()) {
            Outcome outcome = parser.parse(in, request);
            if (outcome == Outcome.NEED_MORE) {
                break;
            }
            if (outcome == Outcome.GARBAGE) {
                // Not a request: nothing after this point can be trusted. Earlier replies still go out.
                count(Counter.CLIENT_ERRORS, 1);
                replies.closeWhenDrained("bad magic byte 0x" + Integer.toHexString(in.get(in.readIndex()) & 0xff));
                in.skip(in.readable());
                break;
            }
            if (outcome == Outcome.ERROR) {
                count(Counter.CLIENT_ERRORS, 1);
                writeError(local(request.opcode).stored, request.opcode, request.status, request.opaque, request.message);
                int length = request.length;
                if (request.unlinkKey) {
                    unlinkRefusedSet(in, in.readIndex());
                }
                in.skip(length);
                if (request.closeAfterError) {
                    replies.closeWhenDrained(request.message);
                }
                continue;
            }
            count(Counter.REQUESTS, 1);
            dispatch(in, in.readIndex());
            in.skip(request.length);
        }
        replies.endOfInput();
    }

    @Override
    public boolean wantsInput() {
        return replies.acceptsInput();
    }

    @Override
    public void onInputClosed() {
        replies.inputClosed();
    }

    @Override
    public int unansweredRequests() {
        return replies.unanswered();
    }

    @Override
    public void onClose() {
        replies.onClose();
    }

    boolean isClosed() {
        return replies.isClosed();
    }

    boolean isHead(BinaryCommand command) {
        return replies.isHead(command);
    }

    Buffer output() {
        return out;
    }

    void count(Counter counter, long amount) {
        channel.count(counter, amount);
    }

    void count(ProtocolCounter counter, long amount) {
        channel.count(counter, amount);
    }

    private void dispatch(Buffer in, int base) {
        int opcode = request.opcode;
        switch (loud(opcode)) {
            case GET, GETK -> {
                count(MemcachedCounter.CMD_GET, 1);
                forward(in, base, ClusterRole.READ);
            }
            case GAT, GATK, TOUCH -> {
                count(MemcachedCounter.CMD_TOUCH, 1);
                forward(in, base, ClusterRole.MASTER);
            }
            case SET, ADD, REPLACE, APPEND, PREPEND -> {
                count(MemcachedCounter.CMD_SET, 1);
                forward(in, base, ClusterRole.MASTER);
            }
            case DELETE, INCREMENT, DECREMENT -> forward(in, base, ClusterRole.MASTER);
            case FLUSH -> flush(in, base);
            case NOOP, VERBOSITY -> writeHeader(local(opcode).stored, opcode, 0, 0, SUCCESS, 0, request.opaque, 0);
            case VERSION -> {
                byte[] version = ServerVersion.reply(channel.proxy().version()).getBytes(StandardCharsets.US_ASCII);
                Buffer reply = local(opcode).stored;
                writeHeader(reply, opcode, 0, 0, SUCCESS, version.length, request.opaque, 0);
                reply.put(version);
            }
            case STAT -> stats(in, base);
            case QUIT -> {
                if (opcode == QUIT) {
                    writeHeader(local(opcode).stored, opcode, 0, 0, SUCCESS, 0, request.opaque, 0);
                }
                replies.closeWhenDrained("quit");
            }
            default -> throw new IllegalStateException("parser passed opcode 0x" + Integer.toHexString(opcode));
        }
    }

    /** Sends the packet, with the loud opcode, to the server that owns its key. */
    private void forward(Buffer in, int base, ClusterRole role) {
        // Every request routed on the master cluster here changes something (set, delete, touch, gat...).
        Backend backend = role == ClusterRole.MASTER
                ? route.writeBackendFor(BACKEND_KIND, in, base + request.keyStart(), request.keyLength)
                : route.backendFor(role, BACKEND_KIND, in, base + request.keyStart(), request.keyLength);
        if (backend == null || !backend.isAvailable()) {
            count(Counter.BACKEND_ERRORS, 1);
            writeError(local(request.opcode).stored, request.opcode, TEMPORARY_FAILURE, request.opaque,
                    FailureText.of(BackendFailure.UNAVAILABLE));
            return;
        }
        send(backend, in, base);
    }

    /**
     * memcached drops the old value of a key whose SET(Q) it refused as too large, so a later GET cannot
     * return a value older than the write that failed: the proxy sends the key's master a DELETE of its
     * own, replicated like a client's so that the backup loses it too, and shows the client nothing of it.
     */
    private void unlinkRefusedSet(Buffer in, int base) {
        Backend backend = route.writeBackendFor(BACKEND_KIND, in, base + request.keyStart(), request.keyLength);
        if (backend == null || !backend.isAvailable()) {
            count(Counter.BACKEND_ERRORS, 1);
            return;
        }
        if (unlinkPacket == null) {
            unlinkPacket = new Buffer(HEADER_LENGTH + MAX_KEY, HEADER_LENGTH + MAX_KEY);
        }
        Buffer packet = unlinkPacket;
        packet.clear();
        packet.put(REQUEST_MAGIC).put((byte) DELETE).putShort(request.keyLength).put((byte) 0).put((byte) 0).putShort(0)
                .putInt(request.keyLength).putInt(request.opaque).putLong(0)
                .put(in, base + request.keyStart(), request.keyLength);
        request.opcode = DELETE;
        request.extrasLength = 0;
        request.bodyLength = request.keyLength;
        request.length = HEADER_LENGTH + request.keyLength;
        request.cas = 0;
        send(backend, packet, packet.readIndex()).silence();
    }

    /** Sends the parsed packet, as its loud opcode, to {@code backend}, and the replica if it is a write. */
    private BinaryCommand send(Backend backend, Buffer in, int base) {
        BinaryCommand command = enqueue(Kind.FORWARD, request.opcode);
        Buffer target = backend.output();
        int start = target.writeIndex();
        target.put(in, base, request.length);
        target.set(start + OPCODE, (byte) loud(request.opcode));
        command.expectReply();
        backend.enqueue(command);
        if (replicator.enabled()) {
            buildReplica(command, in, base);
        }
        return command;
    }

    /**
     * The packet the backup gets once the master accepts the write, as the loud opcode and without CAS
     * (a CAS token means nothing on another server): ADD and REPLACE become SET, GAT and GATK become TOUCH
     * (the same extras and key), the rest are sent as they are. Reads are not replicated.
     */
    private void buildReplica(BinaryCommand command, Buffer in, int base) {
        int replicaOpcode = switch (loud(request.opcode)) {
            case SET, ADD, REPLACE -> SET;
            case GAT, GATK -> TOUCH;
            case APPEND, PREPEND, DELETE, INCREMENT, DECREMENT, TOUCH -> loud(request.opcode);
            default -> -1;
        };
        if (replicaOpcode < 0) {
            return;
        }
        Buffer replica = command.startReplica(replicaOpcode == DELETE, isSync(in, base));
        int start = replica.writeIndex();
        replica.put(in, base, request.length);
        replica.set(start + OPCODE, (byte) replicaOpcode);
        for (int i = 0; i < 8; i++) {
            replica.set(start + CAS + i, (byte) 0);
        }
        if (replicaOpcode == INCREMENT || replicaOpcode == DECREMENT) {
            // Expiration 0xffffffff: a backup that does not hold the counter answers NOT_FOUND instead of
            // creating it at the initial value, which need not be what the master holds.
            replica.setInt(start + HEADER_LENGTH + 16, -1);
        }
    }

    private boolean isSync(Buffer in, int base) {
        byte[] prefix = route.syncPrefix();
        return prefix.length > 0 && request.keyLength >= prefix.length && in.regionEquals(base + request.keyStart(), prefix);
    }

    /**
     * Sends the replica packet of a write the master accepted; the core's replica lives on whatever
     * becomes of this client. {@code waiter}: a synchronous write's command; null for an asynchronous one.
     * Returns false when it could not be sent (counted, logged, kept for repair).
     */
    boolean replicate(Buffer replica, ReplicaReceiver.SyncWaiter waiter) {
        int base = replica.readIndex();
        int keyOffset = base + HEADER_LENGTH + (replica.get(base + EXTRAS_LENGTH) & 0xff);
        ReplicaWrite write = replicator.start(BACKEND_KIND, replica, keyOffset, replica.getUnsignedShort(base + KEY_LENGTH),
                waiter != null);
        if (write == null) {
            return false;
        }
        BinaryReplica receiver = replicaPool.pollFirst();
        if (receiver == null) {
            receiver = new BinaryReplica(replicaPool);
        }
        receiver.begin(write, waiter);
        receiver.opcode(replica.get(base + OPCODE) & 0xff);
        write.backend().output().put(replica, base, replica.readable());
        write.backend().enqueue(receiver);
        return true;
    }

    /** FLUSH goes to every server of the master and backup clusters; success when all succeed. */
    private void flush(Buffer in, int base) {
        count(MemcachedCounter.CMD_FLUSH, 1);
        BinaryCommand command = enqueue(Kind.BROADCAST, request.opcode);
        int unavailable = 0;
        for (ClusterRole role : new ClusterRole[] {ClusterRole.MASTER, ClusterRole.BACKUP}) {
            for (int s = 0; s < route.serverCount(role); s++) {
                Backend backend = route.backendAt(role, BACKEND_KIND, s);
                if (role == ClusterRole.BACKUP && isMasterServer(backend)) {
                    continue;
                }
                command.expectReply();
                if (!backend.isAvailable()) {
                    unavailable++;
                    continue;
                }
                Buffer target = backend.output();
                int start = target.writeIndex();
                target.put(in, base, request.length);
                target.set(start + OPCODE, (byte) FLUSH);
                backend.enqueue(command);
            }
        }
        // Failed only now that every reply is expected, so the command cannot complete half-built.
        for (int i = 0; i < unavailable; i++) {
            command.onFailure(BackendFailure.UNAVAILABLE);
        }
    }

    private boolean isMasterServer(Backend backend) {
        for (int s = 0; s < route.serverCount(ClusterRole.MASTER); s++) {
            if (route.backendAt(ClusterRole.MASTER, BACKEND_KIND, s) == backend) {
                return true;
            }
        }
        return false;
    }

    /**
     * STAT, its key naming the group as text stats' word does (none, items, slabs, settings, reset): one
     * packet per figure, then the empty terminator; an unknown group is "Not found", as memcached says.
     */
    private void stats(Buffer in, int base) {
        Buffer reply = local(request.opcode).stored;
        String group = in.toString(base + request.keyStart(), request.keyLength);
        int opaque = request.opaque;
        StatsReply.Outcome outcome = statsReply.answer(group, (name, value) -> {
            byte[] key = name.getBytes(StandardCharsets.US_ASCII);
            byte[] text = value.getBytes(StandardCharsets.US_ASCII);
            writeHeader(reply, STAT, key.length, 0, SUCCESS, key.length + text.length, opaque, 0);
            reply.put(key).put(text);
        });
        if (outcome == StatsReply.Outcome.UNKNOWN) {
            writeError(reply, request.opcode, KEY_NOT_FOUND, opaque, "Not found");
            return;
        }
        writeHeader(reply, STAT, 0, 0, SUCCESS, 0, opaque, 0);
    }

    /** A command answered by the proxy: its reply goes in {@code stored}. */
    private BinaryCommand local(int opcode) {
        BinaryCommand command = enqueue(Kind.LOCAL, opcode);
        command.done = true;
        return command;
    }

    private BinaryCommand enqueue(Kind kind, int opcode) {
        BinaryCommand command = replies.add();
        command.reset(kind, opcode, request.opaque);
        return command;
    }

    /**
     * Answers a binary client on a text-only port ({@code proto=text}) with a binary error it can read,
     * before the connection is closed.
     */
    public static void refuse(Buffer in, Buffer out, String message) {
        int base = in.readIndex();
        int opcode = in.readable() > OPCODE ? in.get(base + OPCODE) & 0xff : NOOP;
        int opaque = in.readable() >= OPAQUE + 4 ? in.getInt(base + OPAQUE) : 0;
        writeError(out, opcode, NOT_SUPPORTED, opaque, message);
    }

    void onCommandDone() {
        replies.emitReady();
    }
}
