package io.kvproxy.memcached.text;

import io.kvproxy.memcached.ReplicaReceiver;
import io.kvproxy.memcached.ReplyQueue;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.Counter;
import java.util.Arrays;

/**
 * One client request in flight, in the session's reply queue, until its reply has been written. Pooled
 * by the session and reused, so the request path allocates nothing once warm.
 *
 * <p>A request is answered locally ({@code version}, errors), by one backend ({@code set}, a one-server
 * {@code get}), or by several ({@code flush_all}, a multi-get split per server). Each backend request is
 * a {@link Part}. A reply that arrives while its request is at the head of the queue goes straight from
 * the backend's buffer to the client's; otherwise it waits in {@code stored}.
 *
 * <p>Multi-get merge: memcached answers a {@code get} with the hits in the order asked, so walking the
 * client's keys in order and taking, from each key's server reply, the next VALUE block if it is that
 * key, restores the client's order exactly, misses and duplicate keys included.
 */
final class PendingCommand implements ReplyQueue.Entry, ReplicaReceiver.SyncWaiter {

    enum Kind {
        /** Reply already in {@code stored}. */
        LOCAL,
        /** One backend request whose reply is the client's reply, byte for byte. */
        FORWARD,
        /** A multi-get over several servers, merged in key order. */
        MULTI_GET,
        /** A request every server must see; OK when every server said OK. */
        BROADCAST
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] END = {'E', 'N', 'D', '\r', '\n'};
    private static final byte[] OK = {'O', 'K', '\r', '\n'};
    private static final byte[] ERROR = {'E', 'R', 'R', 'O', 'R'};
    private static final byte[] SERVER_ERROR = "SERVER_ERROR ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Up to this much of a reply or key list stays allocated between uses (a 10-key get of 1 KiB values). */
    private static final int RETAINED = 16 * 1024;

    private final TextSession session;
    final Buffer stored = new Buffer(256, RETAINED, Integer.MAX_VALUE - 64);
    private final Buffer keys = new Buffer(256, RETAINED, Integer.MAX_VALUE - 64);
    Kind kind;
    boolean done;
    /** The reply was written to the client when it arrived: nothing left to emit. */
    private boolean emitted;
    private Part[] parts = new Part[4];
    private int partCount;
    private int partsPending;
    private int[] keyStart = new int[8];
    private int[] keyLength = new int[8];
    private int[] keyPart = new int[8];
    private int keyCount;
    private int[] cursor = new int[4];
    /** noreply: the client sees nothing, but the command still waits for its master (and replica) reply. */
    boolean silent;
    /** Replication of a FORWARD write: the replica request (built at dispatch), where its key lies in it, how. */
    private Buffer replica;
    private boolean replicates;
    private boolean replicateAlways;
    private boolean sync;
    private int replicaKeyOffset;
    private int replicaKeyLength;
    /** BROADCAST: start and length in {@code stored} of the first reply that was not OK, or -1. */
    private int firstErrorStart;
    private int firstErrorLength;

    PendingCommand(TextSession session) {
        this.session = session;
    }

    void reset(Kind kind) {
        this.kind = kind;
        done = false;
        emitted = false;
        partCount = 0;
        partsPending = 0;
        keyCount = 0;
        firstErrorStart = -1;
        silent = false;
        replicates = false;
        stored.clear();
        keys.clear();
    }

    /** A new backend request of this command, to {@code backend}. */
    Part addPart(Backend backend, boolean expectsValues) {
        if (partCount == parts.length) {
            parts = Arrays.copyOf(parts, partCount * 2);
        }
        Part part = parts[partCount];
        if (part == null) {
            part = new Part(this);
            parts[partCount] = part;
        }
        part.reset(partCount, backend, expectsValues);
        partCount++;
        partsPending++;
        return part;
    }

    int partCount() {
        return partCount;
    }

    Part part(int index) {
        return parts[index];
    }

    /** The part already going to {@code backend}, or null. */
    Part partFor(Backend backend) {
        for (int i = 0; i < partCount; i++) {
            if (parts[i].backend == backend) {
                return parts[i];
            }
        }
        return null;
    }

    /** Records a key of a multi-get (copied: the input buffer moves on) and its part (-1: no server). */
    void addKey(Buffer source, int offset, int length, int part) {
        if (keyCount == keyStart.length) {
            keyStart = Arrays.copyOf(keyStart, keyCount * 2);
            keyLength = Arrays.copyOf(keyLength, keyCount * 2);
            keyPart = Arrays.copyOf(keyPart, keyCount * 2);
        }
        keyStart[keyCount] = keys.writeIndex();
        keyLength[keyCount] = length;
        keyPart[keyCount] = part;
        keys.put(source, offset, length);
        keyCount++;
    }

    int keyCount() {
        return keyCount;
    }

    /**
     * Makes this write replicated: returns the (empty) buffer for the replica request, sent once the
     * master accepts the write ({@code always}: whatever the master says) and waited for when {@code sync}.
     */
    Buffer startReplica(boolean always, boolean sync) {
        if (replica == null) {
            replica = new Buffer(256, RETAINED, Integer.MAX_VALUE - 64);
        }
        replica.clear();
        replicates = true;
        replicateAlways = always;
        this.sync = sync;
        return replica;
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
                if (part.expectsValues) {
                    countValues(part.valueCount, 1);
                }
                if (replicates && (replicateAlways || TextReplies.isAccepted(buffer, offset, length, false))) {
                    if (sync) {
                        // The client's reply waits for the backup: keep the master's, then send the replica.
                        if (!silent) {
                            stored.put(buffer, offset, length);
                        }
                        partsPending++;
                        if (!session.replicate(replica, replicaKeyOffset, replicaKeyLength, this)) {
                            onBackupAnswered(false);
                        }
                        partDone();
                        return;
                    }
                    session.replicate(replica, replicaKeyOffset, replicaKeyLength, null);
                }
                if (silent || session.isClosed()) {
                    emitted = true;
                } else if (session.isHead(this)) {
                    session.output().put(buffer, offset, length);
                    emitted = true;
                } else {
                    stored.put(buffer, offset, length);
                }
            }
            case MULTI_GET -> {
                if (buffer.get(offset) != 'V' && buffer.get(offset) != 'E' || buffer.regionEquals(offset, ERROR)) {
                    // An error line instead of VALUE/END: this server's keys read as misses.
                    part.failed = true;
                } else {
                    part.start = stored.writeIndex();
                    stored.put(buffer, offset, length);
                    part.end = stored.writeIndex();
                }
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
        part.failed = true;
        part.failure = failure;
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
        stored.put(SERVER_ERROR).putAscii(failure.message()).put(CRLF);
    }

    private void partDone() {
        if (--partsPending == 0) {
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
            case MULTI_GET -> merge(out);
        }
    }

    private void merge(Buffer out) {
        int failedParts = 0;
        BackendFailure firstFailure = null;
        for (int p = 0; p < partCount; p++) {
            if (parts[p].failed) {
                failedParts++;
                firstFailure = firstFailure == null ? parts[p].failure : firstFailure;
            }
        }
        if (failedParts == partCount) {
            out.put(SERVER_ERROR).putAscii((firstFailure == null ? BackendFailure.UNAVAILABLE : firstFailure).message()).put(CRLF);
            return;
        }
        if (cursor.length < partCount) {
            cursor = new int[parts.length];
        }
        for (int p = 0; p < partCount; p++) {
            cursor[p] = parts[p].start;
        }
        int hits = 0;
        int failedKeys = 0;
        for (int k = 0; k < keyCount; k++) {
            int p = keyPart[k];
            if (p < 0 || parts[p].failed) {
                failedKeys++;
                continue;
            }
            int block = valueBlockLength(cursor[p], parts[p].end, k);
            if (block > 0) {
                out.put(stored, cursor[p], block);
                cursor[p] += block;
                hits++;
            }
        }
        out.put(END);
        session.count(Counter.GET_HITS, hits);
        session.count(Counter.GET_MISSES, keyCount - hits);
        if (failedKeys > 0) {
            session.count(Counter.GET_FAILED_KEYS, failedKeys);
        }
    }

    /** Length of the VALUE block at {@code at} if it is for key {@code k}, else 0. */
    private int valueBlockLength(int at, int end, int k) {
        int keyAt = at + 6;
        int length = keyLength[k];
        if (at + 6 >= end || stored.get(at) != 'V' || keyAt + length >= end || stored.get(keyAt + length) != ' '
                || !stored.regionEquals(keyAt, keys, keyStart[k], length)) {
            return 0;
        }
        int newline = stored.indexOf((byte) '\n', keyAt, end);
        // VALUE <key> <flags> <bytes> [<cas>]: the bytes field is the third token after VALUE.
        int i = keyAt + length + 1;
        while (stored.get(i) != ' ') {
            i++;
        }
        i++;
        long bytes = 0;
        while (i < newline && stored.get(i) >= '0' && stored.get(i) <= '9') {
            bytes = bytes * 10 + (stored.get(i) - '0');
            i++;
        }
        return (int) (newline + 1 + bytes + 2 - at);
    }

    private void countValues(int values, int keysAsked) {
        session.count(Counter.GET_HITS, values);
        session.count(Counter.GET_MISSES, keysAsked - values);
    }

    /** Gives memory back after a large reply. */
    @Override
    public void recycle() {
        stored.clear();
        stored.shrink();
        keys.clear();
        keys.shrink();
        if (replica != null) {
            replica.clear();
            replica.shrink();
        }
    }

    /** One backend request of a command. */
    static final class Part implements TextReplyReceiver {

        private final PendingCommand owner;
        Backend backend;
        boolean expectsValues;
        boolean failed;
        BackendFailure failure;
        int start;
        int end;
        int valueCount;

        Part(PendingCommand owner) {
            this.owner = owner;
        }

        void reset(int index, Backend backend, boolean expectsValues) {
            this.backend = backend;
            this.expectsValues = expectsValues;
            failed = false;
            failure = null;
            start = 0;
            end = 0;
            valueCount = 0;
        }

        @Override
        public boolean expectsValues() {
            return expectsValues;
        }

        @Override
        public void onValueCount(int values) {
            valueCount = values;
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
