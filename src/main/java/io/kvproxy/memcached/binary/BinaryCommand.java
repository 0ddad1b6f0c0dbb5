package io.kvproxy.memcached.binary;

import io.kvproxy.memcached.MemcachedCounter;
import io.kvproxy.memcached.FailureText;
import static io.kvproxy.memcached.binary.Binary.*;

import io.kvproxy.memcached.ReplicaReceiver;
import io.kvproxy.spi.ReplyQueue;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.CommandKind;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.Counter;

/**
 * One binary request in flight, in the session's reply queue until its reply is written or withheld.
 * Pooled by the session. A FORWARD command has one backend reply, which goes to the client as it came
 * (opcode set back to the client's, quiet or not); a BROADCAST ({@code FLUSH}) waits for every server;
 * a LOCAL one was answered by the proxy.
 */
final class BinaryCommand implements BinaryReplyReceiver, ReplyQueue.Entry, ReplicaReceiver.SyncWaiter {

    enum Kind { LOCAL, FORWARD, BROADCAST }

    /** Its buffers take memory from the worker's pool when written to and give it back at {@link #recycle()}. */
    private static final int FIRST_CHUNK_BYTES = 256;

    private final BinarySession session;
    private final BufferPool pool;
    final Buffer stored;
    Kind kind;
    boolean done;
    /** Written to the client already, or withheld because the client asked for silence. */
    private boolean settled;
    /** The client's opcode (quiet or loud) and opaque: replies carry them. */
    private int opcode;
    private int opaque;
    private int pending;
    private boolean broadcastFailed;
    /** Replication of a FORWARD write: the replica packet (built at dispatch) and how it is sent. */
    private Buffer replica;
    private boolean replicates;
    private boolean replicateAlways;
    private boolean sync;
    /** A request the proxy made itself (no client asked): whatever it gets, the client sees nothing. */
    private boolean silent;

    BinaryCommand(BinarySession session, BufferPool pool) {
        this.session = session;
        this.pool = pool;
        this.stored = new Buffer(pool, FIRST_CHUNK_BYTES, Integer.MAX_VALUE - 64);
    }

    void reset(Kind kind, int opcode, int opaque) {
        this.kind = kind;
        this.opcode = opcode;
        this.opaque = opaque;
        done = false;
        settled = false;
        pending = 0;
        broadcastFailed = false;
        replicates = false;
        silent = false;
        stored.clear();
    }

    /** Withholds every reply of this command from the client; its writes are still made and replicated. */
    void silence() {
        silent = true;
    }

    /** Makes this write replicated; returns the empty buffer for the replica packet. */
    Buffer startReplica(boolean always, boolean sync) {
        if (replica == null) {
            replica = new Buffer(pool, FIRST_CHUNK_BYTES, Integer.MAX_VALUE - 64);
        }
        replica.clear();
        replicates = true;
        replicateAlways = always;
        this.sync = sync;
        return replica;
    }

    /** One more backend reply to wait for. */
    void expectReply() {
        pending++;
    }

    @Override
    public int sentOpcode() {
        return loud(opcode);
    }

    @Override
    public CommandKind commandKind() {
        return Binary.commandKind(opcode);
    }

    // Answers are taken even after the client has gone: a write it made is still replicated.
    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        int status = buffer.getUnsignedShort(offset + STATUS);
        if (replicates && (replicateAlways || status == SUCCESS)) {
            if (sync) {
                keep(buffer, offset, length);
                if (isQuiet(opcode) && status == SUCCESS) {
                    stored.clear();
                    settled = true;
                }
                pending++;
                if (!session.replicate(replica, this)) {
                    onBackupAnswered(false);
                }
                replied();
                return;
            }
            session.replicate(replica, null);
        }
        boolean retrieval = isRetrieval(loud(opcode));
        if (retrieval) {
            session.count(status == SUCCESS ? MemcachedCounter.GET_HITS : MemcachedCounter.GET_MISSES, 1);
        }
        if (kind == Kind.BROADCAST) {
            if (status != SUCCESS && !broadcastFailed) {
                broadcastFailed = true;
                keep(buffer, offset, length);
            }
        } else if (silent || isQuiet(opcode) && (retrieval ? status == KEY_NOT_FOUND : status == SUCCESS)) {
            settled = true;
        } else if (session.isClosed()) {
            settled = true;
        } else if (session.isHead(this)) {
            Buffer out = session.output();
            int start = out.writeIndex();
            out.put(buffer, offset, length);
            out.set(start + OPCODE, (byte) opcode);
            settled = true;
        } else {
            keep(buffer, offset, length);
        }
        replied();
    }

    private void keep(Buffer buffer, int offset, int length) {
        int start = stored.writeIndex();
        stored.put(buffer, offset, length);
        stored.set(start + OPCODE, (byte) opcode);
    }

    @Override
    public void onFailure(BackendFailure failure) {
        session.count(Counter.BACKEND_ERRORS, 1);
        if (replicates && replicateAlways) {
            session.replicate(replica, null);
        }
        if (kind != Kind.BROADCAST || !broadcastFailed) {
            broadcastFailed = true;
            stored.clear();
            writeError(stored, opcode, TEMPORARY_FAILURE, opaque, FailureText.of(failure));
        }
        replied();
    }

    /** The backup answered this command's synchronous replica ({@code accepted}: it took the write). */
    @Override
    public void onBackupAnswered(boolean accepted) {
        if (!accepted) {
            backupFailed();
        }
        replied();
    }

    /** The sync write did not reach the backup: the client is told, quiet or not. */
    private void backupFailed() {
        session.count(Counter.SYNC_FAILED, 1);
        stored.clear();
        settled = false;
        writeError(stored, opcode, INTERNAL_ERROR, opaque, "backup write failed");
    }

    private void replied() {
        if (--pending == 0) {
            done = true;
            session.onCommandDone();
        }
    }

    @Override
    public boolean isDone() {
        return done;
    }

    /** Writes what the client is to see, if anything; called in request order. */
    @Override
    public void emit(Buffer out) {
        if (settled || silent) {
            return;
        }
        if (kind == Kind.BROADCAST && !broadcastFailed) {
            if (!isQuiet(opcode)) {
                writeHeader(out, opcode, 0, 0, SUCCESS, 0, opaque, 0);
            }
            return;
        }
        out.put(stored, stored.readIndex(), stored.readable());
    }

    @Override
    public void recycle() {
        stored.clear();
        stored.shrink();
        if (replica != null) {
            replica.clear();
            replica.shrink();
        }
    }
}
