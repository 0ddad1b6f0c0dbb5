package io.kvproxy.memcached.text;

import io.kvproxy.memcached.MemcachedCounter;
import io.kvproxy.memcached.text.PendingCommand.Kind;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Replicator;
import io.kvproxy.spi.Route;

/**
 * The meta commands of one {@link TextSession} ({@code mg ms md ma me}; {@code mn} the session answers
 * itself, in order): each goes to its key's server as one loud request, its one reply framed whole
 * ({@code VA} data block included), and what quiet mode hides is withheld here ({@link
 * PendingCommand#quietMeta}), so the backend FIFO stays one reply per request.
 *
 * <p>Routing, as the classic commands: an mg that changes nothing and returns no CAS goes to the read
 * cluster; mg with N, T or R changes the item and, with ms, md and ma, goes to the master as a write
 * (stand-ins recorded for repair by {@link Route#writeBackendFor}); mg with c and me go to the master,
 * which made the CAS and holds the item whose metadata is asked for. A base64 key ({@code b}) is routed
 * on its decoded bytes.
 *
 * <p>Replication (to {@code hosts_backup}, synchronous for a {@code sync_str} key, through the session's
 * one replication path). The backup must never hold a value the master does not, and a replica is
 * replayed on a server whose copy may differ from the master's, so it keeps only what means the same
 * there and drops what would not:
 * <ul>
 * <li>ms: after HD, as a plain set ({@code ms <key> <len> [b] [F] [T]}); append and prepend stay
 *     themselves (M A/P) as classic append does. C (a master CAS), I (stale-marking, which needs it), the
 *     modes E and R (the master has decided) and N are dropped: add, replace and cas become set.
 * <li>md: always, whatever the master said (as delete), as a plain {@code md <key> [b]}: C and I judge
 *     the master's copy, and a backup that only marked its copy stale would still hold it.
 * <li>ma: after HD or VA, as itself with its mode, delta and TTL (as incr/decr); C is dropped. With N
 *     the master may have created the counter from J while the backup holds an older one, which an
 *     increment would move elsewhere: the backup's copy is deleted instead.
 * <li>mg with T: after a hit, as a touch ({@code mg <key> [b] T<ttl>}). mg with N: when the master
 *     answers W (it made a stub, or handed out the right to recache) the backup's copy is deleted, since
 *     the master's is about to be replaced; with N and T, after any hit (the backup cannot follow both).
 *     mg with R alone only marks the item: nothing to replicate.
 * </ul>
 * A replica never asks for anything back (no k, O, c, v, q), so the backup's one-line answer says only
 * whether it applied.
 *
 * <p>Owner: the session's worker. Buffers: reads the client's input, appends to backend outputs and
 * replica buffers; {@code decodedKey} is pooled and given back after every request.
 */
final class MetaCommands {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] SPACE = {' '};
    private static final byte[] BASE64_FLAG = {' ', 'b'};
    private static final byte[] MD = {'m', 'd', ' '};
    private static final byte[] MS = {'m', 's', ' '};
    private static final byte[] MA = {'m', 'a', ' '};
    private static final byte[] MG = {'m', 'g', ' '};
    /** A decoded key of at most 250 base64 characters. */
    private static final int DECODED_KEY_BYTES = 256;

    private final TextSession session;
    private final TextRequest request;
    private final Route route;
    private final Replicator replicator;
    private final Buffer decodedKey;
    /** The key as routed: the input buffer's key token, or the decoded key; valid during one dispatch. */
    private Buffer keyBuffer;
    private int keyOffset;
    private int keyLength;
    /** False for a base64 key memcached cannot decode or a key it refuses as long: the server answers an error. */
    private boolean keyValid;

    MetaCommands(TextSession session, TextRequest request, Route route, Replicator replicator, BufferPool pool) {
        this.session = session;
        this.request = request;
        this.route = route;
        this.replicator = replicator;
        this.decodedKey = new Buffer(pool, DECODED_KEY_BYTES, DECODED_KEY_BYTES);
    }

    /** Sends the parsed meta request at {@code base} of {@code in} to its key's server. */
    void dispatch(Buffer in, int base) {
        TextCommand command = request.command;
        if (command == TextCommand.MG) {
            session.count(MemcachedCounter.CMD_GET, 1);
        } else if (command == TextCommand.MS) {
            session.count(MemcachedCounter.CMD_SET, 1);
        }
        try {
            findKey(in, base);
            forward(in, base, false);
        } finally {
            decodedKey.clear();
            decodedKey.shrink();
        }
    }

    /**
     * An ms whose value was too large for the proxy: memcached drops the key's old value then, so the
     * proxy deletes it on the master, unseen by the client, and so on the backup.
     */
    void unlinkRefused(Buffer in, int base) {
        try {
            findKey(in, base);
            if (keyValid) {
                forward(in, base, true);
            }
        } finally {
            decodedKey.clear();
            decodedKey.shrink();
        }
    }

    private void findKey(Buffer in, int base) {
        int start = base + request.tokenStart[1];
        int length = request.tokenLength[1];
        keyBuffer = in;
        keyOffset = start;
        keyLength = length;
        keyValid = length <= TextRequestParser.MAX_KEY;
        if (request.meta.base64Key) {
            int decoded = keyValid ? Base64Key.decode(in, start, length, decodedKey) : -1;
            // Not base64 to memcached either: the server answers the error, wherever it is sent.
            if (decoded > 0) {
                keyBuffer = decodedKey;
                keyOffset = 0;
                keyLength = decoded;
            } else {
                keyValid = false;
            }
        }
    }

    /** Sends the request (for {@code unlink}, an unseen {@code md} of its key instead) and its replica. */
    private void forward(Buffer in, int base, boolean unlink) {
        TextCommand command = unlink ? TextCommand.MD : request.command;
        MetaRequest meta = request.meta;
        boolean write = unlink || command == TextCommand.MS || command == TextCommand.MD || command == TextCommand.MA
                || (command == TextCommand.MG && (meta.vivifyToken >= 0 || meta.ttlToken >= 0 || meta.recacheToken >= 0));
        Backend backend;
        if (write) {
            backend = route.writeBackendFor(TextSession.BACKEND_KIND, keyBuffer, keyOffset, keyLength);
        } else {
            boolean master = command == TextCommand.ME || meta.returnsCas;
            backend = route.backendFor(master ? ClusterRole.MASTER : ClusterRole.READ, TextSession.BACKEND_KIND,
                    keyBuffer, keyOffset, keyLength);
        }
        if (backend == null || !backend.isAvailable()) {
            if (!unlink) {
                session.failNow(BackendFailure.UNAVAILABLE);
            }
            return;
        }
        Buffer target = backend.output();
        if (unlink) {
            writeDelete(target, in, base);
        } else {
            writeLoudLine(target, in, base);
            if (command == TextCommand.MS) {
                target.put(in, base + request.dataStart, request.dataLength + 2);
            }
        }
        PendingCommand pending = session.enqueue(Kind.FORWARD);
        pending.silent = unlink;
        pending.quietMeta = meta.quiet && !unlink ? command : null;
        backend.enqueue(pending.addPart(backend, false));
        if (write && keyValid && replicator.enabled()) {
            buildReplica(pending, command, in, base);
        }
    }

    /** The client's line with every q flag made loud ({@link MetaRequest#quietStandIn}), then CRLF. */
    private void writeLoudLine(Buffer target, Buffer in, int base) {
        MetaRequest meta = request.meta;
        byte standIn = meta.quietStandIn();
        if (!meta.quiet) {
            target.put(in, base, request.lineLength);
        } else if (standIn == 0) {
            int q = quietToken(in, base, meta.firstFlag);
            int qStart = request.tokenStart[q];
            int qEnd = qStart + request.tokenLength[q];
            target.put(in, base, qStart).put(in, base + qEnd, request.lineLength - qEnd);
        } else {
            target.put(in, base, request.lineLength);
            int lineStart = target.writeIndex() - request.lineLength;
            for (int t = meta.firstFlag; t < request.tokenCount; t++) {
                if (in.get(base + request.tokenStart[t]) == 'q') {
                    target.set(lineStart + request.tokenStart[t], standIn);
                }
            }
        }
        target.put(CRLF);
    }

    private int quietToken(Buffer in, int base, int from) {
        for (int t = from; t < request.tokenCount; t++) {
            if (in.get(base + request.tokenStart[t]) == 'q') {
                return t;
            }
        }
        throw new IllegalStateException("quiet meta request without a q token");
    }

    private void buildReplica(PendingCommand pending, TextCommand command, Buffer in, int base) {
        MetaRequest meta = request.meta;
        boolean sync = isSync();
        Buffer replica;
        switch (command) {
            case MS -> {
                replica = startReplica(pending, false, sync, MS, in, base);
                copyToken(replica, in, base, meta.clientFlagsToken);
                copyToken(replica, in, base, meta.ttlToken);
                byte mode = meta.mode(request, in);
                if (mode == 'A' || mode == 'a' || mode == 'P' || mode == 'p') {
                    replica.put(SPACE).put(in, base + request.tokenStart[meta.modeToken], 2);
                }
                replica.put(CRLF).put(in, base + request.dataStart, request.dataLength + 2);
            }
            case MD -> replica = startReplica(pending, true, sync, MD, in, base).put(CRLF);
            case MA -> {
                if (meta.vivifyToken >= 0) {
                    replica = startReplica(pending, false, sync, MD, in, base).put(CRLF);
                } else {
                    replica = startReplica(pending, false, sync, MA, in, base);
                    copyToken(replica, in, base, meta.modeToken);
                    copyToken(replica, in, base, meta.deltaToken);
                    copyToken(replica, in, base, meta.ttlToken);
                    replica.put(CRLF);
                }
            }
            case MG -> {
                if (meta.vivifyToken >= 0) {
                    replica = startReplica(pending, false, sync, MD, in, base).put(CRLF);
                    if (meta.ttlToken < 0) {
                        pending.replicateOnlyOnWin();
                    }
                } else if (meta.ttlToken >= 0) {
                    replica = startReplica(pending, false, sync, MG, in, base);
                    copyToken(replica, in, base, meta.ttlToken);
                    replica.put(CRLF);
                } else {
                    return;
                }
            }
            default -> throw new IllegalStateException(command + " is not replicated");
        }
        if (keyBuffer == decodedKey) {
            replica.skip(keyLength);
        }
    }

    /**
     * Starts the replica request: {@code word}, the key as the client sent it, for ms its data length (the
     * token memcached reads before any flag), and the key's b flag. A decoded key
     * is put ahead of the request and skipped once the request is whole (it then lies before the buffer's
     * read index, where a write could compact it away: none follows), so that the replica is routed on
     * the backup ring by the bytes memcached stores.
     */
    private Buffer startReplica(PendingCommand pending, boolean always, boolean sync, byte[] word, Buffer in, int base) {
        Buffer replica = pending.startReplica(always, sync);
        if (keyBuffer == decodedKey) {
            replica.put(decodedKey, 0, keyLength);
            pending.replicaKey(0, keyLength);
        }
        replica.put(word);
        if (keyBuffer != decodedKey) {
            pending.replicaKey(replica.writeIndex(), keyLength);
        }
        replica.put(in, base + request.tokenStart[1], request.tokenLength[1]);
        if (word == MS) {
            replica.put(SPACE).put(in, base + request.tokenStart[2], request.tokenLength[2]);
        }
        if (request.meta.base64Key) {
            replica.put(BASE64_FLAG);
        }
        return replica;
    }

    private void copyToken(Buffer replica, Buffer in, int base, int token) {
        if (token >= 0) {
            replica.put(SPACE).put(in, base + request.tokenStart[token], request.tokenLength[token]);
        }
    }

    private void writeDelete(Buffer target, Buffer in, int base) {
        target.put(MD).put(in, base + request.tokenStart[1], request.tokenLength[1]);
        if (request.meta.base64Key) {
            target.put(BASE64_FLAG);
        }
        target.put(CRLF);
    }

    private boolean isSync() {
        byte[] prefix = route.syncPrefix();
        return prefix.length > 0 && keyLength >= prefix.length && keyBuffer.regionEquals(keyOffset, prefix);
    }
}
