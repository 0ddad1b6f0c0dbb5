package io.kvproxy.memcached.text;

import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.BufferPool;
import java.util.Arrays;

/**
 * Puts the reply of one retrieval ({@code get}, {@code gets}, {@code gat}, {@code gats}; one key or
 * many, over one server or several) together in the client's key order, from VALUE blocks handed on one
 * at a time as each server's reply is framed.
 *
 * <p>Matching: a server answers its keys in the order asked, skipping misses, so the next block from a
 * server is for the first of that server's keys still open whose name it carries; the keys it passes
 * over are misses. That restores the client's order exactly, misses and duplicate keys included, and
 * reads each VALUE line once.
 *
 * <p>Writing: a block goes straight from the backend's buffer to the client's output when its command is
 * at the head of the client's reply queue and every earlier key is settled; only a block that arrives
 * ahead of its turn is copied, into {@code ahead}, and written once its turn comes. Memory stays bounded
 * by backpressure ({@link #acceptsBlock}): a server whose blocks would pile up ahead, or whose client
 * has not read what it was given, is made to wait.
 * <pre>
 *  server A ─ VALUE k0 ─┐                       ┌─► client output (its turn: k0, then k1 from ahead)
 *  server B ─ VALUE k1 ─┼─► match to a key ─────┤
 *                       │   (in that server's   └─► ahead (k1 came before k0)
 *                       │    order of keys)
 * </pre>
 *
 * <p>Owner: the client's worker, inside a pooled {@link PendingCommand}; arrays and buffers are reused,
 * so a warm request path allocates nothing. Buffers: {@code keys} is owned here; {@code ahead} is the
 * command's reply buffer, lent for the life of the command (a retrieval stores nothing else there that
 * outlives a written block: a server's error line counts only when no block came).
 */
final class MultiGetMerge {

    /**
     * What is known of one key. Legal moves: WAITING → AHEAD (its block came before its turn) → WRITTEN;
     * WAITING → WRITTEN (streamed in its turn); WAITING → MISS (its server passed it over, ended or
     * failed). A key with no server starts as MISS.
     */
    enum KeyState {
        WAITING, AHEAD, WRITTEN, MISS
    }

    /**
     * Blocks kept ahead (written or not: the buffer is reused only once all are written) beyond which a
     * server is asked to wait, unless its next block is the one whose turn it is.
     */
    static final int AHEAD_LIMIT_BYTES = 8 * 1024 * 1024;
    private static final int VALUE_PREFIX = "VALUE ".length();

    /** From the worker's pool, like {@code ahead}: memory only while a multi-get is in flight. */
    private final Buffer keys;
    private final Buffer ahead;
    private int keyCount;
    private int[] keyStart = new int[8];
    private int[] keyLength = new int[8];
    /** The next key of the same server, in the order asked, or -1. */
    private int[] keyNext = new int[8];
    private int[] blockStart = new int[8];
    private int[] blockLength = new int[8];
    private KeyState[] keyState = new KeyState[8];
    /** Per server request (part): its next key still open, and its last key (to link the next one), or -1. */
    private int[] partNext = new int[4];
    private int[] partLast = new int[4];
    private int partCount;
    /** The first key not yet written or passed over: the client has everything before it. */
    private int nextToWrite;
    private int blocksAhead;
    private int hits;
    private int failedKeys;

    MultiGetMerge(Buffer ahead, BufferPool pool) {
        this.ahead = ahead;
        this.keys = new Buffer(pool, 256, Integer.MAX_VALUE - 64);
    }

    void reset() {
        keyCount = 0;
        partCount = 0;
        nextToWrite = 0;
        blocksAhead = 0;
        hits = 0;
        failedKeys = 0;
        keys.clear();
    }

    int keyCount() {
        return keyCount;
    }

    int hits() {
        return hits;
    }

    int failedKeys() {
        return failedKeys;
    }

    /**
     * Records the next key asked (copied: the client's input moves on) and the part that asks its server
     * for it; -1: no server is available, the key is a miss. Parts are numbered in the order first used.
     */
    void addKey(Buffer source, int offset, int length, int part) {
        if (keyCount == keyStart.length) {
            growKeys();
        }
        int k = keyCount++;
        keyStart[k] = keys.writeIndex();
        keyLength[k] = length;
        keyNext[k] = -1;
        keys.put(source, offset, length);
        if (part < 0) {
            keyState[k] = KeyState.MISS;
            failedKeys++;
            return;
        }
        keyState[k] = KeyState.WAITING;
        if (part == partCount) {
            if (partCount == partNext.length) {
                partNext = Arrays.copyOf(partNext, partCount * 2);
                partLast = Arrays.copyOf(partLast, partCount * 2);
            }
            partNext[part] = k;
            partCount++;
        } else if (part > partCount) {
            throw new IllegalStateException("part " + part + " before part " + partCount);
        } else {
            keyNext[partLast[part]] = k;
        }
        partLast[part] = k;
    }

    private void growKeys() {
        int size = keyCount * 2;
        keyStart = Arrays.copyOf(keyStart, size);
        keyLength = Arrays.copyOf(keyLength, size);
        keyNext = Arrays.copyOf(keyNext, size);
        blockStart = Arrays.copyOf(blockStart, size);
        blockLength = Arrays.copyOf(blockLength, size);
        keyState = Arrays.copyOf(keyState, size);
    }

    /**
     * A VALUE block from {@code part}'s server, valid during this call only. {@code out} is the client's
     * output when the command is at the head of its reply queue (the block may be written now), else null.
     * A block that answers none of the part's open keys (a server out of step) is dropped, and the part's
     * remaining keys read as misses.
     */
    void onBlock(int part, Buffer buffer, int offset, int length, Buffer out) {
        int k = partNext[part];
        while (k >= 0 && !isBlockFor(k, buffer, offset, length)) {
            keyState[k] = KeyState.MISS;
            k = keyNext[k];
        }
        if (k < 0) {
            partNext[part] = -1;
            return;
        }
        partNext[part] = keyNext[k];
        hits++;
        if (out != null && writeDue(out) == k) {
            out.put(buffer, offset, length);
            keyState[k] = KeyState.WRITTEN;
            nextToWrite = k + 1;
            writeDue(out);
            return;
        }
        blockStart[k] = ahead.writeIndex();
        blockLength[k] = length;
        ahead.put(buffer, offset, length);
        keyState[k] = KeyState.AHEAD;
        blocksAhead++;
    }

    /**
     * Whether {@code part}'s server may send its next block now: while little is kept ahead, or when that
     * block is the next the client is to get (so a merge always moves on, whatever waits).
     */
    boolean acceptsBlock(int part) {
        return ahead.readable() < AHEAD_LIMIT_BYTES || nextToWrite < keyCount && partNext[part] == nextToWrite;
    }

    /** The part's reply ended (END) or never will ({@code failed}): its keys still open are misses. */
    void onPartEnd(int part, boolean failed) {
        for (int k = partNext[part]; k >= 0; k = keyNext[k]) {
            keyState[k] = KeyState.MISS;
            if (failed) {
                failedKeys++;
            }
        }
        partNext[part] = -1;
    }

    /**
     * Writes, in key order, every block whose turn has come; returns the first key still waiting for its
     * block, or {@code keyCount} when every key is settled.
     */
    int writeDue(Buffer out) {
        while (nextToWrite < keyCount) {
            int k = nextToWrite;
            switch (keyState[k]) {
                case WAITING -> {
                    return k;
                }
                case AHEAD -> {
                    out.put(ahead, blockStart[k], blockLength[k]);
                    keyState[k] = KeyState.WRITTEN;
                    if (--blocksAhead == 0) {
                        // Everything kept ahead is written: start over at the front rather than grow.
                        ahead.clear();
                    }
                }
                case WRITTEN, MISS -> {
                    // Written as it arrived, or nothing to write.
                }
            }
            nextToWrite++;
        }
        return keyCount;
    }

    /** Whether the block at {@code offset} is {@code VALUE <key k> …}. */
    private boolean isBlockFor(int k, Buffer buffer, int offset, int length) {
        int keyAt = offset + VALUE_PREFIX;
        int size = keyLength[k];
        return VALUE_PREFIX + size < length && buffer.get(keyAt + size) == ' '
                && buffer.regionEquals(keyAt, keys, keyStart[k], size);
    }

    /** Gives memory back after a large request (the command shrinks {@code ahead}, its own buffer). */
    void recycle() {
        keys.clear();
        keys.shrink();
    }
}
