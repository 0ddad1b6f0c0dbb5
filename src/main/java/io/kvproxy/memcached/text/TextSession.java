package io.kvproxy.memcached.text;

import io.kvproxy.memcached.MemcachedCounter;
import io.kvproxy.memcached.FailureText;
import io.kvproxy.memcached.ReplicaReceiver;
import io.kvproxy.spi.ReplyQueue;
import io.kvproxy.memcached.ServerVersion;
import io.kvproxy.memcached.stats.PoolStats;
import io.kvproxy.memcached.stats.StatsReply;
import io.kvproxy.memcached.text.PendingCommand.Kind;
import io.kvproxy.memcached.text.PendingCommand.Part;
import io.kvproxy.memcached.text.TextRequest.Outcome;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.ClientSession;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.CommandKind;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Replicator.ReplicaWrite;
import io.kvproxy.spi.Replicator;
import io.kvproxy.spi.ProtocolCounter;
import io.kvproxy.spi.Route;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * One text-protocol client: parses its requests, sends each to the backends its keys live on, and
 * writes the replies back in request order (pipelining), however the requests were spread.
 *
 * <p>Every backend request is one the backend answers exactly once: {@code noreply} is stripped before
 * sending and the reply is dropped here, so backend connections stay plain FIFOs.
 *
 * <p>Owner: the client connection's worker. Buffers: reads the connection's input (consuming it),
 * appends to backend outputs and to the connection's output.
 */
public final class TextSession implements ClientSession {

    static final int BACKEND_KIND = 0;

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] SPACE = {' '};
    private static final byte[] END = {'E', 'N', 'D', '\r', '\n'};
    private static final byte[] DELETE = TextCommand.DELETE.word();

    private final ClientChannel channel;
    private final Route route;
    private final Buffer out;
    private final TextRequestParser parser;
    private final TextRequest request = new TextRequest();
    private final ReplyQueue<PendingCommand> replies;
    private final NoReplySink noReplySink = new NoReplySink();
    private final Replicator replicator;
    private final ArrayDeque<TextReplica> replicaPool = new ArrayDeque<>();
    private final StatsReply statsReply;
    private final MetaCommands meta;

    public TextSession(ClientChannel channel, PoolStats poolStats) {
        this.channel = channel;
        this.route = channel.route();
        this.out = channel.output();
        this.parser = new TextRequestParser(channel.maxPacketBytes());
        this.replies = new ReplyQueue<>(channel, () -> new PendingCommand(this, channel.bufferPool()));
        this.replicator = channel.replicator();
        this.statsReply = new StatsReply(channel.proxy(), poolStats);
        this.meta = new MetaCommands(this, request, route, replicator, channel.bufferPool());
    }

    @Override
    public void onRead(Buffer in) {
        while (replies.acceptsInput()) {
            Outcome outcome = parser.parse(in, request);
            if (outcome == Outcome.NEED_MORE) {
                break;
            }
            if (outcome == Outcome.HTTP) {
                // Not a memcached client: nothing after this line is executed (a browser's POST body
                // could hold a set). Earlier replies still go out; then the connection is closed.
                count(Counter.CLIENT_ERRORS, 1);
                count(MemcachedCounter.HTTP_REFUSED, 1);
                replies.closeWhenDrained("HTTP request line");
                in.skip(in.readable());
                break;
            }
            if (outcome == Outcome.ERROR) {
                count(Counter.CLIENT_ERRORS, 1);
                if (!request.noreply) {
                    reply(request.error);
                }
                int length = request.length;
                if (request.unlinkKey) {
                    unlinkRefusedSet(in, in.readIndex());
                }
                in.skip(length);
                if (request.closeAfterError) {
                    replies.closeWhenDrained(request.error);
                }
                continue;
            }
            if (request.command != TextCommand.STATUS) {
                count(Counter.REQUESTS, 1);
            }
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

    boolean isHead(PendingCommand command) {
        return replies.isHead(command);
    }

    Buffer output() {
        return out;
    }

    /** Something was appended to {@link #output()} outside {@link ReplyQueue#emitReady()} (a streamed block). */
    void outputReady() {
        channel.outputReady();
    }

    void count(Counter counter, long amount) {
        channel.count(counter, amount);
    }

    void count(ProtocolCounter counter, long amount) {
        channel.count(counter, amount);
    }

    private void dispatch(Buffer in, int base) {
        switch (request.command) {
            case GET -> retrieve(in, base, ClusterRole.READ);
            case GETS, GAT, GATS -> retrieve(in, base, ClusterRole.MASTER);
            case SET, ADD, REPLACE, APPEND, PREPEND, CAS -> {
                count(MemcachedCounter.CMD_SET, 1);
                int lastToken = request.command == TextCommand.CAS ? 5 : 4;
                forward(in, base, lastToken, true);
            }
            case DELETE -> forwardDelete(in, base);
            case INCR, DECR -> forward(in, base, 2, false);
            case TOUCH -> {
                count(MemcachedCounter.CMD_TOUCH, 1);
                forward(in, base, 2, false);
            }
            case FLUSH_ALL -> {
                count(MemcachedCounter.CMD_FLUSH, 1);
                broadcast(in, base, TextRequestParser.hasFlushDelay(request));
            }
            case CACHE_MEMLIMIT -> broadcast(in, base, true);
            case VERSION -> reply("VERSION " + ServerVersion.reply(channel.proxy().version()));
            case STATS -> stats(in, base);
            case VERBOSITY -> {
                if (!request.noreply) {
                    reply("OK");
                }
            }
            case QUIT -> replies.closeWhenDrained("quit");
            case STATUS -> replyRaw(channel.proxy().statusReport());
            case MG, MS, MD, MA, ME -> meta.dispatch(in, base);
            // Every reply before it is written first (the reply queue keeps request order): the end of a quiet pipeline.
            case MN -> reply("MN");
            case UNSUPPORTED -> reply("CLIENT_ERROR " + in.toString(base + request.tokenStart[0], request.tokenLength[0])
                    + " is not supported by kvproxy");
        }
    }

    /**
     * get, gets, gat, gats: one request per server holding any of the keys, its VALUE blocks streamed back
     * in key order (a single key too, the request line sent as it came).
     */
    private void retrieve(Buffer in, int base, ClusterRole role) {
        int keys = request.keyCount();
        count(request.command == TextCommand.GET || request.command == TextCommand.GETS ? MemcachedCounter.CMD_GET : MemcachedCounter.CMD_TOUCH, keys);
        if (keys == 0) {
            reply(END);
            return;
        }
        int first = request.firstKey;
        if (keys == 1) {
            Backend backend = retrievalBackend(role, in, base, first);
            if (backend == null) {
                failNow(BackendFailure.UNAVAILABLE);
                return;
            }
            PendingCommand command = enqueue(Kind.MULTI_GET);
            Part part = command.addPart(backend, true);
            command.addKey(in, base + request.tokenStart[first], request.tokenLength[first], 0);
            backend.output().put(in, base, request.lineLength).put(CRLF);
            backend.enqueue(part);
            return;
        }
        PendingCommand command = enqueue(Kind.MULTI_GET);
        for (int t = first; t < request.tokenCount; t++) {
            Backend backend = retrievalBackend(role, in, base, t);
            int partIndex = -1;
            if (backend != null) {
                Part part = command.partFor(backend);
                if (part == null) {
                    part = command.addPart(backend, true);
                    // The command word and, for gat/gats, the expiry: everything before the first key.
                    backend.output().put(in, base + request.tokenStart[0],
                            request.tokenStart[first - 1] + request.tokenLength[first - 1] - request.tokenStart[0]);
                }
                backend.output().put(SPACE).put(in, base + request.tokenStart[t], request.tokenLength[t]);
                partIndex = part.index();
            }
            command.addKey(in, base + request.tokenStart[t], request.tokenLength[t], partIndex);
        }
        if (command.partCount() == 0) {
            command.reset(Kind.LOCAL, CommandKind.OTHER);
            command.stored.putAscii("SERVER_ERROR " + FailureText.of(BackendFailure.UNAVAILABLE)).put(CRLF);
            command.done = true;
            replies.emitReady();
            return;
        }
        for (int p = 0; p < command.partCount(); p++) {
            Part part = command.part(p);
            part.backend().output().put(CRLF);
            part.backend().enqueue(part);
        }
        count(Counter.FRAGMENTS, command.partCount());
    }

    /** Sends tokens 0..{@code lastToken} (dropping noreply) and the data block, if any, to the key's master. */
    private void forward(Buffer in, int base, int lastToken, boolean withData) {
        Backend backend = writeBackendFor(in, base, 1);
        if (backend == null) {
            failNow(BackendFailure.UNAVAILABLE);
            return;
        }
        Buffer target = backend.output();
        target.put(in, base, request.tokenStart[lastToken] + request.tokenLength[lastToken]).put(CRLF);
        if (withData) {
            target.put(in, base + request.dataStart, request.dataLength + 2);
        }
        PendingCommand command = send(backend);
        if (command != null && replicator.enabled()) {
            buildReplica(command, in, base);
        }
    }

    /**
     * memcached drops the old value of a key whose set it refused as too large, so a later get cannot
     * return a value older than the write that failed: the proxy deletes the key on its master, as a
     * noreply delete of the client's, so that the backup loses it too.
     */
    private void unlinkRefusedSet(Buffer in, int base) {
        if (request.command == TextCommand.MS) {
            meta.unlinkRefused(in, base);
            return;
        }
        request.command = TextCommand.DELETE;
        request.noreply = true;
        forwardDelete(in, base);
    }

    private void forwardDelete(Buffer in, int base) {
        Backend backend = writeBackendFor(in, base, 1);
        if (backend == null) {
            failNow(BackendFailure.UNAVAILABLE);
            return;
        }
        backend.output().put(DELETE).put(SPACE).put(in, base + request.tokenStart[1], request.tokenLength[1]).put(CRLF);
        PendingCommand command = send(backend);
        if (command != null && replicator.enabled()) {
            buildReplica(command, in, base);
        }
    }

    /** Registers the write just sent to {@code backend}; returns its command, or null for an unreplicated noreply. */
    private PendingCommand send(Backend backend) {
        if (request.noreply && !replicator.enabled()) {
            backend.enqueue(noReplySink);
            return null;
        }
        PendingCommand command = enqueue(Kind.FORWARD);
        command.silent = request.noreply;
        backend.enqueue(command.addPart(backend, false));
        return command;
    }

    /**
     * Builds the request the backup gets once the master accepts the write: cas, add and replace become
     * set (a CAS token means nothing on another server), the rest are sent as they are, noreply dropped.
     */
    private void buildReplica(PendingCommand command, Buffer in, int base) {
        TextCommand word = request.command;
        Buffer replica = command.startReplica(word == TextCommand.DELETE, isSync(in, base));
        int lastToken = switch (word) {
            case SET, ADD, REPLACE, CAS, APPEND, PREPEND -> 4;
            case INCR, DECR, TOUCH -> 2;
            default -> 1;
        };
        if (word == TextCommand.SET || word == TextCommand.ADD || word == TextCommand.REPLACE || word == TextCommand.CAS) {
            replica.putAscii("set ");
        } else {
            replica.put(word.word()).put(SPACE);
        }
        command.replicaKey(replica.writeIndex(), request.tokenLength[1]);
        int from = base + request.tokenStart[1];
        replica.put(in, from, base + request.tokenStart[lastToken] + request.tokenLength[lastToken] - from).put(CRLF);
        if (word.isStorage()) {
            replica.put(in, base + request.dataStart, request.dataLength + 2);
        }
    }

    private boolean isSync(Buffer in, int base) {
        byte[] prefix = route.syncPrefix();
        return prefix.length > 0 && request.tokenLength[1] >= prefix.length && in.regionEquals(base + request.tokenStart[1], prefix);
    }

    /**
     * Sends the replica of a write the master accepted; the core's replica lives on whatever becomes of
     * this client. {@code waiter}: a synchronous write's command, told of the backup's answer; null for
     * an asynchronous one. Returns false when it could not be sent (counted, logged, kept for repair).
     */
    boolean replicate(Buffer replica, int keyOffset, int keyLength, ReplicaReceiver.SyncWaiter waiter) {
        ReplicaWrite write = replicator.start(BACKEND_KIND, replica, keyOffset, keyLength, waiter != null);
        if (write == null) {
            return false;
        }
        TextReplica receiver = replicaPool.pollFirst();
        if (receiver == null) {
            receiver = new TextReplica(replicaPool);
        }
        receiver.begin(write, waiter);
        write.backend().output().put(replica, replica.readIndex(), replica.readable());
        write.backend().enqueue(receiver);
        return true;
    }

    /**
     * flush_all and cache_memlimit go to every server of the master and backup clusters, as the command
     * word and its first argument ({@code withArgument}: the delay, the limit); OK when all said OK.
     */
    private void broadcast(Buffer in, int base, boolean withArgument) {
        PendingCommand command = request.noreply ? null : enqueue(Kind.BROADCAST);
        for (ClusterRole role : new ClusterRole[] {ClusterRole.MASTER, ClusterRole.BACKUP}) {
            for (int s = 0; s < route.serverCount(role); s++) {
                Backend backend = route.backendAt(role, BACKEND_KIND, s);
                if (command != null && command.partFor(backend) != null) {
                    continue;
                }
                if (!backend.isAvailable()) {
                    if (command != null) {
                        command.addPart(backend, false);
                    }
                    continue;
                }
                Buffer target = backend.output().put(request.command.word());
                if (withArgument) {
                    target.put(SPACE).put(in, base + request.tokenStart[1], request.tokenLength[1]);
                }
                target.put(CRLF);
                backend.enqueue(command == null ? noReplySink : command.addPart(backend, false));
            }
        }
        if (command != null) {
            // Failed only now that every part exists, so the command cannot complete half-built.
            for (int p = 0; p < command.partCount(); p++) {
                Part part = command.part(p);
                if (!part.backend().isAvailable()) {
                    command.onPartUnsent(part, BackendFailure.UNAVAILABLE);
                }
            }
        }
    }

    /** stats and its groups, answered by the proxy for the pool (see {@link StatsReply}). */
    private void stats(Buffer in, int base) {
        String group = request.tokenCount > 1 ? in.toString(base + request.tokenStart[1], request.tokenLength[1]) : "";
        StringBuilder text = new StringBuilder(1024);
        StatsReply.Outcome outcome = statsReply.answer(group,
                (name, value) -> text.append("STAT ").append(name).append(' ').append(value).append("\r\n"));
        switch (outcome) {
            case STATS -> replyRaw(text.append("END\r\n").toString());
            case RESET -> reply("RESET");
            case UNKNOWN -> reply("ERROR");
        }
    }

    /** gat and gats change an expiry, so they are routed as writes; get and gets as reads. */
    private Backend retrievalBackend(ClusterRole role, Buffer in, int base, int token) {
        boolean touches = request.command == TextCommand.GAT || request.command == TextCommand.GATS;
        return touches ? writeBackendFor(in, base, token) : backendFor(role, in, base, token);
    }

    /** The master backend that takes a write of the key in token {@code token}, or null when none can. */
    private Backend writeBackendFor(Buffer in, int base, int token) {
        Backend backend = route.writeBackendFor(BACKEND_KIND, in, base + request.tokenStart[token], request.tokenLength[token]);
        return backend != null && backend.isAvailable() ? backend : null;
    }

    /** The backend for the key in token {@code token}, or null when none is available. */
    private Backend backendFor(ClusterRole role, Buffer in, int base, int token) {
        Backend backend = route.backendFor(role, BACKEND_KIND, in, base + request.tokenStart[token], request.tokenLength[token]);
        return backend != null && backend.isAvailable() ? backend : null;
    }

    void failNow(BackendFailure failure) {
        count(Counter.BACKEND_ERRORS, 1);
        if (!request.noreply) {
            reply("SERVER_ERROR " + FailureText.of(failure));
        }
    }

    private void reply(String line) {
        PendingCommand command = localCommand();
        command.stored.putAscii(line).put(CRLF);
        replies.emitReady();
    }

    private void reply(byte[] bytes) {
        localCommand().stored.put(bytes);
        replies.emitReady();
    }

    private void replyRaw(String text) {
        localCommand().stored.put(text.getBytes(StandardCharsets.ISO_8859_1));
        replies.emitReady();
    }

    private PendingCommand localCommand() {
        PendingCommand command = enqueue(Kind.LOCAL);
        command.done = true;
        return command;
    }

    PendingCommand enqueue(Kind kind) {
        PendingCommand command = replies.add();
        command.reset(kind, request.command == null ? CommandKind.OTHER : request.command.commandKind());
        return command;
    }

    /** A backend answered the last part of some command: emit what is now in order. */
    void onCommandDone() {
        replies.emitReady();
    }

    /** Receives the replies of noreply requests, which the client asked not to see. */
    private final class NoReplySink implements TextReplyReceiver {
        @Override
        public boolean expectsValues() {
            return false;
        }

        @Override
        public void onReply(Buffer buffer, int offset, int length) {
            // The client asked for no reply; memcached would not send it one either.
        }

        @Override
        public void onFailure(BackendFailure failure) {
            if (!replies.isClosed()) {
                count(Counter.BACKEND_ERRORS, 1);
            }
        }
    }
}
