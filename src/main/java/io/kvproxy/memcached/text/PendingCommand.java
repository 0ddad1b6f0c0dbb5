package io.kvproxy.memcached.text;

import io.kvproxy.memcached.MemcachedCounter;
import io.kvproxy.memcached.FailureText;
import io.kvproxy.memcached.ReplicaReceiver;
import io.kvproxy.spi.ReplyQueue;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.CommandKind;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.RequestParts;

/**
 * One client request in flight, in the session's reply queue, until its reply has been written. Pooled
 * by the session and reused, so the request path allocates nothing once warm.
 *
 * <p>A request is answered locally ({@code version}, errors), by one backend ({@code set}), or by several
 * ({@code flush_all}, a multi-get split per server). Each backend request is a {@link Part}, kept by the
 * SPI's {@link RequestParts}, which counts the answers still due. A reply that
 * arrives while its request is at the head of the queue goes straight from the backend's buffer to the
 * client's; otherwise it waits in {@code stored}.
 *
 * <p>Retrievals, of one key or many, stream: each VALUE block is handed on as it is framed and put in the
 * client's key order by {@link MultiGetMerge}, so no reply has to fit in memory at once.
 */
final class PendingCommand implements ReplyQueue.Entry, ReplicaReceiver.SyncWaiter {

    enum Kind {
        /** Reply already in {@code stored}. */
        LOCAL,
        /** One backend request whose one-line reply is the client's reply, byte for byte. */
        FORWARD,
        /** A retrieval (one key or many, over one server or several), streamed in key order. */
        MULTI_GET,
        /** A request every server must see; OK when every server said OK. */
        BROADCAST
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] END = {'E', 'N', 'D', '\r', '\n'};
    private static final byte[] OK = {'O', 'K', '\r', '\n'};
    private static final byte[] ERROR = {'E', 'R', 'R', 'O', 'R'};
    private static final byte[] SERVER_ERROR = "SERVER_ERROR ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Its buffers take memory from the worker's pool when written to and give it back at {@link #recycle()}. */
    private static final int FIRST_CHUNK_BYTES = 256;
    /** Reply bytes the client has not yet read beyond which a retrieval's servers wait before sending more. */
    static final int STREAM_OUTPUT_LIMIT_BYTES = 4 * 1024 * 1024;

    private final TextSession session;
    private final BufferPool pool;
    final Buffer stored;
    private final MultiGetMerge merge;
    Kind kind;
    /** What its backend requests are, for the servers' latency and error metrics. */
    CommandKind commandKind = CommandKind.OTHER;
    boolean done;
    /** The reply was written to the client when it arrived: nothing left to emit. */
    private boolean emitted;
    private final RequestParts<Part> parts = new RequestParts<>(() -> new Part(this));
    /** noreply: the client sees nothing, but the command still waits for its master (and replica) reply. */
    boolean silent;
    /**
     * A quiet meta command (its {@code q} flag), or null: the client does not see its nominal reply
     * ({@link TextReplies#isHiddenWhenQuiet}). Unlike {@link #silent}, every other reply, errors included, goes out.
     */
    TextCommand quietMeta;
    /** Replication of a FORWARD write: the replica request (built at dispatch), where its key lies in it, how. */
    private Buffer replica;
    private boolean replicates;
    private boolean replicateAlways;
    /** Replicated only when the master's meta reply carries W (mg N: the client won the right to recache). */
    private boolean replicateOnWin;
    private boolean sync;
    private int replicaKeyOffset;
    private int replicaKeyLength;
    /** BROADCAST, MULTI_GET: start and length in {@code stored} of the first reply that was not OK / an error line, or -1. */
    private int firstErrorStart;
    private int firstErrorLength;

    PendingCommand(TextSession session, BufferPool pool) {
        this.session = session;
        this.pool = pool;
        this.stored = new Buffer(pool, FIRST_CHUNK_BYTES, Integer.MAX_VALUE - 64);
        this.merge = new MultiGetMerge(stored, pool);
    }

    void reset(Kind kind, CommandKind commandKind) {
        this.kind = kind;
        this.commandKind = commandKind;
        done = false;
        emitted = false;
        parts.clear();
        firstErrorStart = -1;
        silent = false;
        quietMeta = null;
        replicates = false;
        stored.clear();
        merge.reset();
    }

    /** A new backend request of this command, to {@code backend}. */
    Part addPart(Backend backend, boolean expectsValues) {
        Part part = parts.add(backend);
        part.expectsValues = expectsValues;
        return part;
    }

    int partCount() {
        return parts.count();
    }

    Part part(int index) {
        return parts.get(index);
    }

    /** The part already going to {@code backend}, or null. */
    Part partFor(Backend backend) {
        return parts.partFor(backend);
    }

    /** Records a key of a retrieval (copied: the input buffer moves on) and its part (-1: no server). */
    void addKey(Buffer source, int offset, int length, int part) {
        merge.addKey(source, offset, length, part);
    }

    int keyCount() {
        return merge.keyCount();
    }

    /**
     * Makes this write replicated: returns the (empty) buffer for the replica request, sent once the
     * master accepts the write ({@code always}: whatever the master says) and waited for when {@code sync}.
     */
    Buffer startReplica(boolean always, boolean sync) {
        if (replica == null) {
            replica = new Buffer(pool, FIRST_CHUNK_BYTES, Integer.MAX_VALUE - 64);
        }
        replica.clear();
        replicates = true;
        replicateAlways = always;
        replicateOnWin = false;
        this.sync = sync;
        return replica;
    }

    /** Makes the replica started by {@link #startReplica} wait for a W in the master's reply instead of an acceptance. */
    void replicateOnlyOnWin() {
        replicateOnWin = true;
    }

    /** Where the key lies in the replica request, for routing it on the backup ring. */
    void replicaKey(int offset, int length) {
        replicaKeyOffset = offset;
        replicaKeyLength = length;
    }

    /** A part reached no backend at all (its server is down): count it answered, as a failure. */
    void onPartUnsent(Part part, BackendFailure failure) {
        part.onFailure(failure);
    }

    private void onPartReply(Part part, Buffer buffer, int offset, int length) {
        switch (kind) {
            case FORWARD -> {
                boolean hidden = silent || (quietMeta != null && TextReplies.isHiddenWhenQuiet(quietMeta, buffer, offset, length));
                if (replicates && (replicateAlways || (replicateOnWin ? TextReplies.hasWinFlag(buffer, offset, length)
                        : TextReplies.isAccepted(buffer, offset, length, false)))) {
                    if (sync) {
                        // The client's reply waits for the backup: keep the master's, then send the replica.
                        if (!hidden) {
                            stored.put(buffer, offset, length);
                        }
                        parts.expectAnswer();
                        if (!session.replicate(replica, replicaKeyOffset, replicaKeyLength, this)) {
                            onBackupAnswered(false);
                        }
                        partDone();
                        return;
                    }
                    session.replicate(replica, replicaKeyOffset, replicaKeyLength, null);
                }
                if (hidden || session.isClosed()) {
                    emitted = true;
                } else if (session.isHead(this)) {
                    session.output().put(buffer, offset, length);
                    emitted = true;
                } else {
                    stored.put(buffer, offset, length);
                }
            }
            case MULTI_GET -> {
                boolean errorLine = buffer.get(offset) != 'E' || buffer.regionEquals(offset, ERROR);
                if (errorLine) {
                    // An error line instead of VALUE/END: this server's keys read as misses.
                    part.markFailed(null);
                    if (firstErrorStart < 0) {
                        firstErrorStart = stored.writeIndex();
                        firstErrorLength = length;
                        stored.put(buffer, offset, length);
                    }
                }
                merge.onPartEnd(part.index(), errorLine);
            }
            case BROADCAST -> {
                boolean ok = length == OK.length && buffer.regionEquals(offset, OK);
                if (!ok && firstErrorStart < 0) {
                    firstErrorStart = stored.writeIndex();
                    firstErrorLength = length;
                    stored.put(buffer, offset, length);
                }
            }
            case LOCAL -> throw new IllegalStateException("reply for a local command");
        }
        partDone();
    }

    private void onPartFailure(Part part, BackendFailure failure) {
        part.markFailed(failure);
        session.count(Counter.BACKEND_ERRORS, 1);
        if (kind == Kind.FORWARD) {
            if (replicates && replicateAlways) {
                // A delete reaches the backup whatever became of it on the master.
                session.replicate(replica, replicaKeyOffset, replicaKeyLength, null);
            }
            if (silent) {
                emitted = true;
            } else {
                putServerError(failure);
            }
        } else if (kind == Kind.MULTI_GET) {
            merge.onPartEnd(part.index(), true);
        } else if (kind == Kind.BROADCAST && firstErrorStart < 0) {
            firstErrorStart = stored.writeIndex();
            putServerError(failure);
            firstErrorLength = stored.writeIndex() - firstErrorStart;
        }
        partDone();
    }

    /** The backup answered this command's synchronous replica ({@code accepted}: it took the write). */
    @Override
    public void onBackupAnswered(boolean accepted) {
        if (!accepted) {
            backupFailed();
        }
        partDone();
    }

    /** The sync write did not reach the backup: the client is told, whatever the master said. */
    private void backupFailed() {
        session.count(Counter.SYNC_FAILED, 1);
        stored.clear();
        if (silent) {
            emitted = true;
        } else {
            stored.putAscii(TextReplies.BACKUP_WRITE_FAILED).put(CRLF);
        }
    }

    private void putServerError(BackendFailure failure) {
        stored.put(SERVER_ERROR).putAscii(FailureText.of(failure)).put(CRLF);
    }

    private void partDone() {
        if (parts.answered()) {
            done = true;
            session.onCommandDone();
        }
    }

    @Override
    public boolean isDone() {
        return done;
    }

    /** Writes the reply to the client's output, once it is at the head of the queue and done. */
    @Override
    public void emit(Buffer out) {
        if (emitted) {
            return;
        }
        switch (kind) {
            case LOCAL, FORWARD -> out.put(stored, stored.readIndex(), stored.readable());
            case BROADCAST -> {
                if (firstErrorStart < 0) {
                    out.put(OK);
                } else {
                    out.put(stored, firstErrorStart, firstErrorLength);
                }
            }
            case MULTI_GET -> finishRetrieval(out);
        }
    }

    /** A VALUE block of a retrieval: written now if its turn has come, else kept until it does. */
    private void onPartValue(Part part, Buffer buffer, int offset, int length) {
        if (kind != Kind.MULTI_GET) {
            throw new IllegalStateException("VALUE block for a " + kind + " command");
        }
        if (session.isHead(this)) {
            Buffer out = session.output();
            merge.onBlock(part.index(), buffer, offset, length, out);
            session.outputReady();
        } else {
            merge.onBlock(part.index(), buffer, offset, length, null);
        }
    }

    /** Whether a retrieval can take {@code part}'s next VALUE block now, or its server should wait (backpressure). */
    private boolean acceptsValue(Part part) {
        if (kind != Kind.MULTI_GET || session.isClosed()) {
            return true;
        }
        if (session.isHead(this) && session.output().readable() >= STREAM_OUTPUT_LIMIT_BYTES) {
            return false;
        }
        return merge.acceptsBlock(part.index());
    }

    /**
     * The end of a retrieval: the blocks not yet written, then END. When no server answered and no value
     * came, the client gets the error instead: a server's own error line, else the failure.
     */
    private void finishRetrieval(Buffer out) {
        BackendFailure firstFailure = parts.firstFailure();
        if (parts.failedCount() == parts.count() && merge.hits() == 0) {
            if (firstErrorStart >= 0) {
                out.put(stored, firstErrorStart, firstErrorLength);
            } else {
                out.put(SERVER_ERROR).putAscii(FailureText.of(firstFailure == null ? BackendFailure.UNAVAILABLE : firstFailure)).put(CRLF);
            }
            return;
        }
        merge.writeDue(out);
        out.put(END);
        session.count(MemcachedCounter.GET_HITS, merge.hits());
        session.count(MemcachedCounter.GET_MISSES, merge.keyCount() - merge.hits());
        if (merge.failedKeys() > 0) {
            session.count(Counter.GET_FAILED_KEYS, merge.failedKeys());
        }
    }

    /** Gives every buffer's memory back to the pool: an entry at rest holds none. */
    @Override
    public void recycle() {
        stored.clear();
        stored.shrink();
        merge.recycle();
        if (replica != null) {
            replica.clear();
            replica.shrink();
        }
    }

    /** One backend request of a command. */
    static final class Part extends RequestParts.Part implements TextReplyReceiver {

        private final PendingCommand owner;
        boolean expectsValues;

        Part(PendingCommand owner) {
            this.owner = owner;
        }

        @Override
        public boolean expectsValues() {
            return expectsValues;
        }

        @Override
        public CommandKind commandKind() {
            return owner.commandKind;
        }

        @Override
        public boolean acceptsPart() {
            return owner.acceptsValue(this);
        }

        @Override
        public void onReplyPart(Buffer buffer, int offset, int length) {
            if (!owner.session.isClosed()) {
                owner.onPartValue(this, buffer, offset, length);
            }
        }

        // Answers are taken even after the client has gone: a write it made is still replicated.
        @Override
        public void onReply(Buffer buffer, int offset, int length) {
            owner.onPartReply(this, buffer, offset, length);
        }

        @Override
        public void onFailure(BackendFailure failure) {
            owner.onPartFailure(this, failure);
        }
    }
}
