package io.kvproxy.redis;

import io.kvproxy.redis.command.RedisCommand;
import io.kvproxy.redis.command.SplitReplyMerge;
import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RespReplyReceiver;
import io.kvproxy.redis.resp.RespWriter;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.CommandKind;
import io.kvproxy.spi.Counter;
import java.nio.charset.StandardCharsets;
import io.kvproxy.spi.ReplyQueue;
import io.kvproxy.spi.RequestParts;
import java.util.Arrays;

/**
 * One client request in flight, in its session's {@link ReplyQueue} until its reply is written. Pooled by
 * the session, reused request after request. Kinds:
 * <ul>
 *   <li>LOCAL: answered by the proxy; the reply is in {@link #stored} from the start.</li>
 *   <li>FORWARD: one backend request whose reply is the client's, passed through as it comes: straight
 *       to the client's output while this request is at the head of the queue, else kept in
 *       {@link #stored} until its turn.</li>
 *   <li>SPLIT: one backend request per server of its keys ({@link #parts}), merged by {@link #merge}.</li>
 * </ul>
 * A write records its replicas at dispatch ({@link #addReplica}), while the client's bytes are there; they
 * are sent once the master has answered (a SPLIT's, each part's keys once that part's server has): as
 * recorded when it accepted, as a DEL of each key when the outcome is unknown (a server failed, or a
 * part answered an error), not at all when it refused. A synchronous one ({@code sync_str})
 * holds the client's reply until the backup answers.
 *
 * <p>Owner: the client connection's worker. Buffers: {@link #stored}, the merge's and the replicas' are
 * pooled and hold memory only while a request uses them.
 */
final class RedisCall implements RespReplyReceiver, ReplyQueue.Entry {

    enum Kind { LOCAL, FORWARD, SPLIT }

    private static final int FIRST_CHUNK_BYTES = 256;
    private static final int MAX_BYTES = Integer.MAX_VALUE - 64;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] KEEPTTL = "KEEPTTL".getBytes(StandardCharsets.US_ASCII);

    private final RedisSession session;
    private final BufferPool pool;
    final Buffer stored;
    private final RequestParts<Part> parts = new RequestParts<>(Part::new);
    private SplitReplyMerge merge;
    private Buffer mergeValues;
    private Kind kind;
    private CommandKind commandKind;
    private boolean done;
    /** Answers still due: the master's (one for a FORWARD, one for all the parts of a SPLIT) and sync replicas'. */
    private int pending;
    /** Reply bytes already went straight to the client: a failure now cannot be answered cleanly. */
    private boolean streamed;
    private boolean firstFrameSeen;
    /** The master answered with an error: it refused the write, and nothing is replicated. */
    private boolean masterRefused;

    /** The recorded replicas: whole RESP requests in {@link #replica}, and where each one's key lies. */
    private Buffer replica;
    private int replicaCount;
    private int[] replicaStart = new int[4];
    private int[] replicaEnd = new int[4];
    private int[] replicaKey = new int[4];
    private int[] replicaKeyLength = new int[4];
    private boolean[] replicaSync = new boolean[4];
    /** Replicate a DEL of the key whatever the master answered (SPOP, EVAL, SETRANGE...: the backup would not do the same). */
    private boolean replicateAsDelete;
    /**
     * For a conditional write (SET NX/XX, SETNX, HSETNX), the first byte of the master's reply when it did
     * the write ({@code '+'}: OK; {@code ':'}: the integer 1), else 0. A backup that lacks the key, or
     * holds an older copy, would judge the condition otherwise and make a value the master refused.
     */
    private byte doneReply;
    /**
     * The replica is a SET of the key still to be given the master's reply, the new value (INCR, DECR,
     * INCRBYFLOAT...): a backup that lost the key (restarted, or repaired with a DEL) would count from nothing.
     */
    private boolean replicateAsNewValue;
    /**
     * The replica is the client's write, and it applied only if the backup answers it as the master did
     * (APPEND, LPUSH, RPUSH: the new length; HINCRBY, ZINCRBY, ZADD INCR: the new value). A backup that
     * lost the key would make it from the write alone, a value the master never had; a different answer
     * says so, and the key is repaired.
     */
    private boolean replicateIfBackupAgrees;
    /** Where the master's reply is kept in {@link #replica} for the backup's to be compared with; 0: none. */
    private int agreeOffset;
    private int agreeLength;
    private boolean anySync;

    RedisCall(RedisSession session, BufferPool pool) {
        this.session = session;
        this.pool = pool;
        this.stored = new Buffer(pool, FIRST_CHUNK_BYTES, MAX_BYTES);
    }

    void reset(Kind kind, CommandKind commandKind) {
        this.kind = kind;
        this.commandKind = commandKind;
        done = kind == Kind.LOCAL;
        pending = kind == Kind.LOCAL ? 0 : 1;
        streamed = false;
        firstFrameSeen = false;
        masterRefused = false;
        replicaCount = 0;
        replicateAsDelete = false;
        doneReply = 0;
        replicateAsNewValue = false;
        replicateIfBackupAgrees = false;
        agreeLength = 0;
        anySync = false;
        stored.clear();
        parts.clear();
        if (replica != null) {
            replica.clear();
        }
    }

    /** A proxy-made reply line (with its {@code +} or {@code -}). */
    void line(String text) {
        RespWriter.writeLine(stored, text);
    }

    RequestParts<Part> parts() {
        return parts;
    }

    /** The merge of a split request, begun for {@code command}. */
    SplitReplyMerge beginMerge(RedisCommand command) {
        if (merge == null) {
            mergeValues = new Buffer(pool, FIRST_CHUNK_BYTES, MAX_BYTES);
            merge = new SplitReplyMerge(mergeValues);
        }
        merge.begin(command.merge());
        return merge;
    }

    /**
     * Records the replica of a write routed by its key: the client's request, or its rewrite by {@code
     * expiry} with its relative expiry made absolute as of {@code nowMillis}.
     */
    void addReplica(Buffer in, RedisRequest request, RedisCommand command, AbsoluteExpiry expiry, long nowMillis, boolean sync) {
        Buffer out = replicas();
        int start = out.writeIndex();
        int key = expiry.write(out, in, request, command, nowMillis);
        if (key < 0) {
            addReplica(in, request, null, 1, request.argCount(), command.keyIndex(), sync);
            return;
        }
        recordReplica(start, key, request.argLength(command.keyIndex()), sync);
    }

    /**
     * Records a replica of this write: arguments {@code [from, to)} of {@code request}, under {@code name}
     * (null: the client's own command name), whose key is argument {@code keyArg}.
     */
    void addReplica(Buffer in, RedisRequest request, byte[] name, int from, int to, int keyArg, boolean sync) {
        Buffer out = replicas();
        int start = out.writeIndex();
        int key = -1;
        RespWriter.writeArrayHeader(out, 1 + to - from);
        if (name != null) {
            RespWriter.writeBulk(out, name);
        } else {
            RespWriter.writeArgument(out, in, request, 0);
        }
        for (int arg = from; arg < to; arg++) {
            RespWriter.writeArgument(out, in, request, arg);
            if (arg == keyArg) {
                key = out.writeIndex() - CRLF.length - request.argLength(arg);
            }
        }
        recordReplica(start, key, request.argLength(keyArg), sync);
    }

    private Buffer replicas() {
        if (replica == null) {
            replica = new Buffer(pool, FIRST_CHUNK_BYTES, MAX_BYTES);
        }
        return replica;
    }

    /** The replica written at {@code start} of {@link #replica}, up to its end, its key at {@code key}. */
    private void recordReplica(int start, int key, int keyLength, boolean sync) {
        int n = replicaCount;
        if (n == replicaStart.length) {
            replicaStart = Arrays.copyOf(replicaStart, n * 2);
            replicaEnd = Arrays.copyOf(replicaEnd, n * 2);
            replicaKey = Arrays.copyOf(replicaKey, n * 2);
            replicaKeyLength = Arrays.copyOf(replicaKeyLength, n * 2);
            replicaSync = Arrays.copyOf(replicaSync, n * 2);
        }
        replicaStart[n] = start;
        replicaEnd[n] = replica.writeIndex();
        replicaKey[n] = key;
        replicaKeyLength[n] = keyLength;
        replicaSync[n] = sync;
        anySync |= sync;
        replicaCount++;
    }

    /** Replicate only if the master did the write, as its reply says: {@code '+'} for OK, {@code ':'} for 1. */
    void replicateIfDone(byte reply) {
        doneReply = reply;
    }

    /** The key's replica is a DEL whatever the master answers: the backup would not compute what the master did. */
    void replicateAsDelete() {
        replicateAsDelete = true;
    }

    /**
     * The one replica, recorded as {@code SET key} ({@link #addReplica} with the key alone), takes the
     * master's reply (an integer, or INCRBYFLOAT's bulk string) as its value when the master answers.
     */
    void replicateAsNewValue() {
        replicateAsNewValue = true;
    }

    /** The one replica applied only if the backup's reply is the master's, byte for byte. */
    void replicateIfBackupAgrees() {
        replicateIfBackupAgrees = true;
    }

    @Override
    public CommandKind commandKind() {
        return commandKind;
    }

    // A FORWARD's reply. Answers are taken even after the client has gone: its write is still replicated.
    @Override
    public void onReplyPart(Buffer buffer, int offset, int length) {
        firstFrame(buffer, offset);
        deliver(buffer, offset, length);
    }

    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        firstFrame(buffer, offset);
        deliver(buffer, offset, length);
        if (replicateAsNewValue && !masterRefused) {
            completeNewValueReplica(buffer, offset, length);
        }
        if (replicateIfBackupAgrees && !masterRefused) {
            keepReplyToAgreeWith(buffer, offset, length);
        }
        boolean notDone = doneReply != 0 && !masterDid(buffer, offset, length);
        replicate(masterRefused || notDone ? Outcome.REFUSED : Outcome.ACCEPTED);
        answered();
    }

    @Override
    public boolean acceptsPart() {
        return !streamed || session.outputHasRoom();
    }

    @Override
    public void onFailure(BackendFailure failure) {
        session.count(Counter.BACKEND_ERRORS, 1);
        if (streamed) {
            // Part of the reply is with the client already: the rest cannot follow, nor can an error.
            session.closeWhenDrained("server failed in the middle of a reply");
        }
        stored.clear();
        line(ProxyReplies.failure(failure));
        replicate(Outcome.UNKNOWN);
        answered();
    }

    private void firstFrame(Buffer buffer, int offset) {
        if (!firstFrameSeen) {
            firstFrameSeen = true;
            masterRefused = buffer.get(offset) == '-';
        }
    }

    private void deliver(Buffer buffer, int offset, int length) {
        if (session.isClosed()) {
            return;
        }
        if (!anySync && stored.isEmpty() && session.isHead(this)) {
            session.output().put(buffer, offset, length);
            session.outputReady();
            streamed = true;
        } else {
            stored.put(buffer, offset, length);
        }
    }

    /**
     * {@code SET key} becomes {@code SET key V KEEPTTL} for the master's reply {@code :V} or {@code $n V}
     * (INCRBYFLOAT, which redis-server propagates to its own replicas the same way); any other reply, a
     * DEL of the key.
     */
    private void completeNewValueReplica(Buffer reply, int offset, int length) {
        int end = offset + length - CRLF.length;
        int value;
        if (replicaCount != 1) {
            value = -1;
        } else if (reply.get(offset) == ':') {
            value = offset + 1;
        } else if (reply.get(offset) == '$' && reply.get(offset + 1) != '-') {
            value = reply.indexOf((byte) '\n', offset, end) + 1;
        } else {
            value = -1;
        }
        if (value <= 0 || value > end) {
            replicateAsDelete = true;
            return;
        }
        // The recorded header is *2 (SET, key): two arguments more, of the same width. KEEPTTL: INCR keeps
        // the master's expiry, and a SET without it would make the backup's copy outlive the master's.
        replica.set(replicaStart[0] + 1, (byte) '4');
        RespWriter.writeBulk(replica, reply, value, end - value);
        RespWriter.writeBulk(replica, KEEPTTL);
        replicaEnd[0] = replica.writeIndex();
    }

    /** Keeps the master's reply after the replica, for the backup's reply to be compared with. */
    private void keepReplyToAgreeWith(Buffer reply, int offset, int length) {
        if (replicaCount != 1) {
            replicateAsDelete = true;
            return;
        }
        agreeOffset = replica.writeIndex();
        agreeLength = length;
        replica.put(reply, offset, length);
    }

    /** Whether the master's reply to a conditional write says it wrote: {@code +OK}, or {@code :1}. */
    private boolean masterDid(Buffer reply, int offset, int length) {
        byte first = reply.get(offset);
        return first == doneReply && (first != ':' || length == 4 && reply.get(offset + 1) == '1');
    }

    /** What became of the master's side of a write. */
    private enum Outcome { ACCEPTED, REFUSED, UNKNOWN }

    private void replicate(Outcome outcome) {
        if (replicaCount == 0 || outcome == Outcome.REFUSED) {
            return;
        }
        for (int n = 0; n < replicaCount; n++) {
            replicate(n, replicateAsDelete || outcome == Outcome.UNKNOWN);
        }
    }

    /**
     * The replicas of a SPLIT's part {@code part}, its keys', as soon as its server answered: a later write
     * of one of them on the same server connection is replicated when that server answers it, so holding
     * these back for the other parts would let the later write reach the backup first. A part that failed
     * or answered an error has an unknown outcome: its keys are deleted on the backup.
     */
    private void replicatePart(int part, boolean failed) {
        if (replicaCount == 0) {
            return;
        }
        for (int n = 0; n < merge.partKeyCount(part); n++) {
            // A split records one replica per key, in the client's key order.
            replicate(merge.partKey(part, n), replicateAsDelete || failed);
        }
    }

    private void replicate(int n, boolean asDelete) {
        boolean sync = replicaSync[n];
        if (sync) {
            pending++;
        }
        boolean sent = session.replicate(replica, replicaStart[n], replicaEnd[n] - replicaStart[n],
                replicaKey[n], replicaKeyLength[n], asDelete, agreeOffset, asDelete ? 0 : agreeLength, sync ? this : null);
        if (!sent && sync) {
            onBackupAnswered(false);
        }
    }

    /** The backup answered a synchronous replica of this write ({@code applied}: it took it). */
    void onBackupAnswered(boolean applied) {
        if (!applied && !masterRefused) {
            session.count(Counter.SYNC_FAILED, 1);
            stored.clear();
            line(ProxyReplies.BACKUP_FAILED);
            masterRefused = true;
        }
        answered();
    }

    /** Part {@code part} of a SPLIT answered: its keys are replicated; the last one completes the merge. */
    private void onPartAnswered(Part part) {
        replicatePart(part.index(), part.failed());
        if (parts.answered()) {
            answered();
        }
    }

    private void answered() {
        if (--pending == 0) {
            done = true;
            session.onCallDone();
        }
    }

    @Override
    public boolean isDone() {
        return done;
    }

    @Override
    public void emit(Buffer out) {
        if (kind == Kind.SPLIT && stored.isEmpty()) {
            merge.writeReply(out);
            return;
        }
        out.put(stored, stored.readIndex(), stored.readable());
    }

    @Override
    public void recycle() {
        stored.clear();
        stored.shrink();
        if (mergeValues != null) {
            mergeValues.release();
        }
        if (replica != null) {
            replica.clear();
            replica.shrink();
        }
    }

    /** One server's share of a SPLIT request: its reply's frames go to the merge as they come. */
    final class Part extends RequestParts.Part implements RespReplyReceiver {

        private boolean firstFrameSeen;

        void begin() {
            firstFrameSeen = false;
        }

        @Override
        public boolean framesValues() {
            return true;
        }

        @Override
        public CommandKind commandKind() {
            return commandKind;
        }

        @Override
        public void onReplyPart(Buffer buffer, int offset, int length) {
            frame(buffer, offset, length, false);
        }

        @Override
        public void onReply(Buffer buffer, int offset, int length) {
            frame(buffer, offset, length, true);
            onPartAnswered(this);
        }

        private void frame(Buffer buffer, int offset, int length, boolean last) {
            if (!firstFrameSeen) {
                firstFrameSeen = true;
                if (buffer.get(offset) == '-') {
                    markFailed(null);
                }
            }
            merge.onPartFrame(index(), buffer, offset, length, last);
        }

        @Override
        public void onFailure(BackendFailure failure) {
            session.count(Counter.BACKEND_ERRORS, 1);
            markFailed(failure);
            merge.onPartFailure(index(), ProxyReplies.failure(failure));
            onPartAnswered(this);
        }
    }
}
