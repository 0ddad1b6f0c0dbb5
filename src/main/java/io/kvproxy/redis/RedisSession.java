package io.kvproxy.redis;

import io.kvproxy.redis.command.RedisCommand;
import io.kvproxy.redis.command.RedisCommand.Access;
import io.kvproxy.redis.command.SplitReplyMerge;
import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RedisRequest.Outcome;
import io.kvproxy.redis.resp.RedisRequestParser;
import io.kvproxy.redis.resp.RespWriter;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.ClientSession;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.CommandKind;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Replicator;
import io.kvproxy.spi.Replicator.ReplicaWrite;
import io.kvproxy.spi.ReplyQueue;
import io.kvproxy.spi.Route;
import java.util.ArrayDeque;

/**
 * One Redis client: parses its requests, answers what the proxy answers itself (PING, ECHO, QUIT, AUTH,
 * arity, unknown and refused commands), sends a keyed command to its key's server (reads on {@code
 * hosts_read}, writes on {@code hosts} and replicated to {@code hosts_backup}), splits MGET, MSET, DEL,
 * UNLINK, TOUCH and EXISTS over the servers of their keys, and writes the replies in request order.
 *
 * <pre>
 *  client bytes ─► RedisRequestParser ─► dispatch ─► RedisCall (ReplyQueue entry)
 *                                           │ FORWARD: key's Backend      │ SPLIT: one Part per server
 *                                           ▼                             ▼
 *                          backend reply ─► RedisCall / Part ─► SplitReplyMerge ─► ReplyQueue ─► client
 * </pre>
 *
 * <p>Owner: the client connection's worker. Buffers: consumes the connection's input (arguments are
 * views into it until the request is consumed), appends to backend connections' outputs and to the
 * connection's output.
 */
final class RedisSession implements ClientSession {

    /** The one backend connection kind: RESP on every connection. */
    static final int KIND = 0;
    /** Reply bytes waiting for the client past which a streamed reply stops taking parts. */
    private static final int STREAM_LIMIT_BYTES = 4 * 1024 * 1024;
    private static final byte[] SET = {'S', 'E', 'T'};
    private static final byte[] NX = {'N', 'X'};
    private static final byte[] XX = {'X', 'X'};
    private static final byte[] GET = {'G', 'E', 'T'};
    private static final byte[] SETINFO = {'S', 'E', 'T', 'I', 'N', 'F', 'O'};
    private static final byte[] INCR = {'I', 'N', 'C', 'R'};
    private static final byte[][] ZADD_OPTIONS = {NX, XX, {'G', 'T'}, {'L', 'T'}, {'C', 'H'}};

    private final ClientChannel channel;
    private final Route route;
    private final Replicator replicator;
    private final Buffer out;
    private final RedisAuth auth;
    private final RedisRequestParser parser = new RedisRequestParser();
    private final RedisRequest request = new RedisRequest();
    private final ReplyQueue<RedisCall> replies;
    private final ArrayDeque<RedisReplica> replicaPool = new ArrayDeque<>();
    private final AbsoluteExpiry expiry = new AbsoluteExpiry();
    private boolean authenticated;

    RedisSession(ClientChannel channel, RedisAuth auth) {
        this.channel = channel;
        this.route = channel.route();
        this.replicator = channel.replicator();
        this.out = channel.output();
        this.auth = auth;
        this.authenticated = !auth.required();
        parser.authenticationRequired(!authenticated);
        this.replies = new ReplyQueue<>(channel, () -> new RedisCall(this, channel.bufferPool()));
    }

    @Override
    public void onRead(Buffer in) {
        while (replies.acceptsInput()) {
            Outcome outcome = parser.parse(in, request);
            if (outcome == Outcome.NEED_MORE) {
                break;
            }
            if (outcome == Outcome.ERROR) {
                count(Counter.CLIENT_ERRORS, 1);
                local().line(request.error());
                in.skip(request.length());
                if (request.closeAfterError()) {
                    // redis-server's protocol errors: it reads nothing more from the connection.
                    replies.closeWhenDrained(request.error());
                    in.skip(in.readable());
                    break;
                }
                continue;
            }
            count(Counter.REQUESTS, 1);
            dispatch(in);
            in.skip(request.length());
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

    private void dispatch(Buffer in) {
        RedisCommand command = RedisCommand.lookup(in, request.argIndex(in, 0), request.argLength(0));
        if (!authenticated && (command == null || !command.allowedBeforeAuth())) {
            channel.count(RedisCounter.NOAUTH_REFUSED, 1);
            local().line(ProxyReplies.NOAUTH);
            return;
        }
        if (command == null) {
            count(Counter.CLIENT_ERRORS, 1);
            channel.count(RedisCounter.UNKNOWN_COMMANDS, 1);
            ProxyReplies.writeUnknownCommand(local().stored, in, request);
            return;
        }
        if (command.routing() != RedisCommand.Routing.REFUSED && !command.acceptsArgCount(request.argCount())) {
            count(Counter.CLIENT_ERRORS, 1);
            local().line(command.arityError());
            return;
        }
        switch (command.routing()) {
            case REFUSED -> {
                count(Counter.CLIENT_ERRORS, 1);
                channel.count(RedisCounter.UNSUPPORTED_COMMANDS, 1);
                local().line(command.refusalError());
            }
            case PROXY -> answer(in, command);
            case KEY -> forward(in, command);
            case SPLIT -> split(in, command);
            case ANY_SERVER -> anyServer(in, command);
        }
    }

    /** PING, ECHO, QUIT, AUTH and CLIENT SETINFO, answered by the proxy. */
    private void answer(Buffer in, RedisCommand command) {
        RedisCall call = local();
        switch (command) {
            case PING -> ProxyReplies.writePing(call.stored, in, request);
            case ECHO -> ProxyReplies.writeEcho(call.stored, in, request);
            case CLIENT -> {
                if (request.argEqualsIgnoreCase(in, 1, SETINFO)) {
                    if (!ProxyReplies.writeClientSetinfo(call.stored, in, request)) {
                        count(Counter.CLIENT_ERRORS, 1);
                    }
                } else {
                    count(Counter.CLIENT_ERRORS, 1);
                    channel.count(RedisCounter.UNSUPPORTED_COMMANDS, 1);
                    call.line(ProxyReplies.CLIENT_REFUSED);
                }
            }
            case QUIT -> {
                call.line(ProxyReplies.OK);
                replies.closeWhenDrained("quit");
            }
            case AUTH -> {
                String reply = auth.check(in, request);
                call.line(reply);
                if (reply.equals(ProxyReplies.OK)) {
                    authenticated = true;
                    parser.authenticationRequired(false);
                } else {
                    channel.count(RedisCounter.AUTH_FAILURES, 1);
                }
            }
            default -> throw new IllegalStateException(command.wireName() + " is not answered by the proxy");
        }
    }

    /** A command routed by one key: to that key's server, a write replicated once the master takes it. */
    private void forward(Buffer in, RedisCommand command) {
        if (!command.hasRoutingKey(request.argCount())) {
            count(Counter.CLIENT_ERRORS, 1);
            local().line(command.noKeyError());
            return;
        }
        int keyArg = command.keyIndex();
        int keyIndex = request.argIndex(in, keyArg);
        int keyLength = request.argLength(keyArg);
        boolean write = command.access() == Access.WRITE;
        Backend backend = write
                ? route.writeBackendFor(KIND, in, keyIndex, keyLength)
                : route.backendFor(ClusterRole.READ, KIND, in, keyIndex, keyLength);
        if (backend == null || !backend.isAvailable()) {
            count(Counter.BACKEND_ERRORS, 1);
            local().line(ProxyReplies.failure(BackendFailure.UNAVAILABLE));
            return;
        }
        RedisCall call = enqueue(RedisCall.Kind.FORWARD, kindOf(command));
        if (write && replicator.enabled() && isCounter(command)) {
            call.addReplica(in, request, SET, keyArg, keyArg + 1, keyArg, isSync(in, keyIndex, keyLength));
            call.replicateAsNewValue();
        } else if (write && replicator.enabled()) {
            // The deadline of a relative expiry counts from now, when the master is sent the request.
            call.addReplica(in, request, command, expiry, System.currentTimeMillis(), isSync(in, keyIndex, keyLength));
            if (isCheckedByItsReply(command) || command == RedisCommand.ZADD && isZaddIncr(in)) {
                call.replicateIfBackupAgrees();
            } else if (isReplicatedAsDelete(command)) {
                call.replicateAsDelete();
            } else if (command == RedisCommand.SETNX || command == RedisCommand.HSETNX) {
                call.replicateIfDone((byte) ':');
            } else if (command == RedisCommand.SET) {
                replicateSetByItsCondition(in, call);
            }
        }
        RespWriter.writeCommand(backend.output(), in, request);
        backend.enqueue(call);
    }

    /** MGET, MSET, DEL, UNLINK, TOUCH, EXISTS: one request per server of the keys, the replies merged. */
    private void split(Buffer in, RedisCommand command) {
        RedisCall call = enqueue(RedisCall.Kind.SPLIT, kindOf(command));
        SplitReplyMerge merge = call.beginMerge(command);
        var parts = call.parts();
        boolean write = command.access() == Access.WRITE;
        boolean replicate = write && replicator.enabled();
        int step = command.keyStep();
        for (int arg = command.keyIndex(); arg < request.argCount(); arg += step) {
            int keyIndex = request.argIndex(in, arg);
            int keyLength = request.argLength(arg);
            Backend backend = write
                    ? route.writeBackendFor(KIND, in, keyIndex, keyLength)
                    : route.backendFor(ClusterRole.READ, KIND, in, keyIndex, keyLength);
            if (backend != null && !backend.isAvailable()) {
                backend = null;
            }
            RedisCall.Part part = parts.partFor(backend);
            if (part == null) {
                part = parts.add(backend);
                part.begin();
            }
            merge.addKey(part.index());
            if (replicate) {
                call.addReplica(in, request, step == 2 ? SET : null, arg, arg + step, arg, isSync(in, keyIndex, keyLength));
            }
        }
        merge.seal();
        count(Counter.FRAGMENTS, parts.count());
        int unavailable = 0;
        for (int p = 0; p < parts.count(); p++) {
            RedisCall.Part part = parts.get(p);
            Backend backend = part.backend();
            if (backend == null) {
                unavailable++;
                continue;
            }
            merge.writePartRequest(backend.output(), in, request, command, p);
            backend.enqueue(part);
        }
        // Failed only now that every part is sent, so the request cannot complete half-built.
        for (int p = 0; unavailable > 0 && p < parts.count(); p++) {
            RedisCall.Part part = parts.get(p);
            if (part.backend() == null) {
                unavailable--;
                part.onFailure(BackendFailure.UNAVAILABLE);
            }
        }
    }

    /** COMMAND, LOLWUT: any server of the pool answers them alike; the first one that is up. */
    private void anyServer(Buffer in, RedisCommand command) {
        for (int s = 0; s < route.serverCount(ClusterRole.MASTER); s++) {
            Backend backend = route.backendAt(ClusterRole.MASTER, KIND, s);
            if (backend.isAvailable()) {
                RedisCall call = enqueue(RedisCall.Kind.FORWARD, CommandKind.OTHER);
                RespWriter.writeCommand(backend.output(), in, request);
                backend.enqueue(call);
                return;
            }
        }
        count(Counter.BACKEND_ERRORS, 1);
        local().line(ProxyReplies.failure(BackendFailure.UNAVAILABLE));
    }

    /**
     * The counters of strings: replicated as a SET of the master's new value, since on a backup that lost
     * the key the command itself would create it from nothing and count from there.
     */
    private static boolean isCounter(RedisCommand command) {
        return command == RedisCommand.INCR || command == RedisCommand.INCRBY || command == RedisCommand.DECR
                || command == RedisCommand.DECRBY || command == RedisCommand.INCRBYFLOAT;
    }

    /**
     * Writes that build on the key's value, create it when it is missing, and answer what they built: the
     * new length (APPEND, LPUSH, RPUSH) or the field's or member's new value (HINCRBY, HINCRBYFLOAT,
     * ZINCRBY). On a backup that lost the key the answer differs from the master's unless the master too
     * built from nothing (a list is never empty; APPEND to an empty string is the new one), so an equal
     * answer proves the backup's copy, or field, is the master's.
     */
    private static boolean isCheckedByItsReply(RedisCommand command) {
        return switch (command) {
            case APPEND, LPUSH, RPUSH, HINCRBY, HINCRBYFLOAT, ZINCRBY -> true;
            default -> false;
        };
    }

    /**
     * Writes whose effect on the backup cannot be computed alike or checked: replicated as a DEL of the key.
     * SPOP picks at random and EVAL runs anything; SETRANGE, SETBIT, BITFIELD and PFADD change part of a
     * string, which on a backup that lost the key would be made of zeros around the write, and their
     * replies (a length, an old bit, a changed flag) cannot tell.
     */
    private static boolean isReplicatedAsDelete(RedisCommand command) {
        return switch (command) {
            case SPOP, EVAL, EVALSHA, SETRANGE, SETBIT, BITFIELD, PFADD -> true;
            default -> false;
        };
    }

    /**
     * SET NX or XX is replicated only if the master set the key (it answered OK, not nil): the backup would
     * judge the condition by its own copy. With GET as well the reply is the old value either way, so the
     * backup gets a DEL of the key: it cannot tell what the master did.
     */
    private void replicateSetByItsCondition(Buffer in, RedisCall call) {
        boolean conditional = false;
        boolean get = false;
        for (int arg = 3; arg < request.argCount(); arg++) {
            conditional |= request.argEqualsIgnoreCase(in, arg, NX) || request.argEqualsIgnoreCase(in, arg, XX);
            get |= request.argEqualsIgnoreCase(in, arg, GET);
        }
        if (conditional && get) {
            call.replicateAsDelete();
        } else if (conditional) {
            call.replicateIfDone((byte) '+');
        }
    }

    /**
     * Whether this ZADD has the INCR option, which makes it a ZINCRBY answering the member's new score.
     * Options come between the key and the first score, which is never one of their words.
     */
    private boolean isZaddIncr(Buffer in) {
        for (int arg = 2; arg < request.argCount(); arg++) {
            if (request.argEqualsIgnoreCase(in, arg, INCR)) {
                return true;
            }
            boolean option = false;
            for (byte[] word : ZADD_OPTIONS) {
                option |= request.argEqualsIgnoreCase(in, arg, word);
            }
            if (!option) {
                return false;
            }
        }
        return false;
    }

    private boolean isSync(Buffer in, int keyIndex, int keyLength) {
        byte[] prefix = route.syncPrefix();
        return prefix.length > 0 && keyLength >= prefix.length && in.regionEquals(keyIndex, prefix);
    }

    /**
     * Sends one replica recorded in {@code replica} (a whole request at {@code start}, its key at {@code
     * key}), or a DEL of its key when {@code asDelete}; {@code agreeLength} bytes at {@code agreeOffset} of
     * {@code replica}, if any, are the master's reply, which the backup's must equal for the replica to
     * count as applied; {@code waiter}: the request whose client waits for it, or null. False when it could
     * not be sent (counted, logged and kept for repair by the core).
     */
    boolean replicate(Buffer replica, int start, int length, int key, int keyLength, boolean asDelete,
            int agreeOffset, int agreeLength, RedisCall waiter) {
        ReplicaWrite write = replicator.start(KIND, replica, key, keyLength, waiter != null);
        if (write == null) {
            return false;
        }
        RedisReplica receiver = replicaPool.pollFirst();
        if (receiver == null) {
            receiver = new RedisReplica(replicaPool);
        }
        receiver.begin(write, waiter, replica, agreeOffset, agreeLength);
        Buffer target = write.backend().output();
        if (asDelete) {
            RedisProtocol.writeDelete(target, replica, key, keyLength);
        } else {
            target.put(replica, start, length);
        }
        write.backend().enqueue(receiver);
        return true;
    }

    private static CommandKind kindOf(RedisCommand command) {
        return switch (command) {
            case GET, MGET, HGET, HMGET, HGETALL, LRANGE, SMEMBERS, ZRANGE -> CommandKind.GET;
            case SET, MSET, SETEX, PSETEX, SETNX, HSET, HMSET, LPUSH, RPUSH, SADD, ZADD -> CommandKind.SET;
            case DEL, UNLINK -> CommandKind.DELETE;
            case INCR, INCRBY, DECR, DECRBY, INCRBYFLOAT, HINCRBY, HINCRBYFLOAT -> CommandKind.ARITHMETIC;
            case TOUCH, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT -> CommandKind.TOUCH;
            default -> CommandKind.OTHER;
        };
    }

    private RedisCall local() {
        return enqueue(RedisCall.Kind.LOCAL, CommandKind.OTHER);
    }

    private RedisCall enqueue(RedisCall.Kind kind, CommandKind commandKind) {
        RedisCall call = replies.add();
        call.reset(kind, commandKind);
        return call;
    }

    void count(Counter counter, long amount) {
        channel.count(counter, amount);
    }

    boolean isClosed() {
        return replies.isClosed();
    }

    boolean isHead(RedisCall call) {
        return replies.isHead(call);
    }

    Buffer output() {
        return out;
    }

    void outputReady() {
        channel.outputReady();
    }

    boolean outputHasRoom() {
        return out.readable() < STREAM_LIMIT_BYTES;
    }

    void closeWhenDrained(String reason) {
        replies.closeWhenDrained(reason);
    }

    void onCallDone() {
        replies.emitReady();
    }
}
