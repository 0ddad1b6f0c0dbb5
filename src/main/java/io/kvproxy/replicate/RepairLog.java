package io.kvproxy.replicate;

import io.kvproxy.spi.Buffer;
import java.util.Arrays;

/**
 * The keys a server may hold a stale copy of, or lacks a write of, and so must have deleted before it
 * can be trusted with them again. One per worker, filled by that worker's writes; the worker drains it
 * with deletes (see {@link Repairs}). Bounded: when full, nothing more is recorded and the caller takes
 * the safe way out (refuse the write, or flush the server once it is back).
 *
 * <p>An entry is a (server, key, kind) triple, at most one per server and key:
 * <ul>
 *   <li>{@link Kind#MISSED}: a master server was out when the key was written elsewhere, so it may still
 *       hold an older value; deleted on it before it rejoins.</li>
 *   <li>{@link Kind#STAND_IN}: a master server took the key while its owner was out; the copy becomes
 *       stale once the key moves back, so it is deleted at the next rejoin.</li>
 *   <li>{@link Kind#REPLICA}: a backup server did not apply a replica of the key (out, dropped, failed),
 *       so it may hold a value the master no longer does; deleted on it as soon as it can be reached.</li>
 * </ul>
 *
 * <p>Storage is parallel arrays and one key arena, indexed by an open-addressing table, so recording
 * allocates only when the log grows past what it has held before. Owner: one worker; not thread-safe.
 */
public final class RepairLog {

    /** What an entry asks of its server. */
    public enum Kind { MISSED, STAND_IN, REPLICA }

    private static final Kind[] KINDS = Kind.values();

    private final int maxEntries;
    private final int maxKeyBytes;
    private int[] server = new int[16];
    private byte[] kind = new byte[16];
    private int[] keyStart = new int[16];
    private int[] keyLength = new int[16];
    private int[] hash = new int[16];
    private boolean[] used = new boolean[16];
    /** {@link #IDLE}, or a delete for the entry is in flight ({@link #REPAIRING}), and it was recorded again since ({@link #DIRTY}). */
    private byte[] repairState = new byte[16];
    private static final byte IDLE = 0;
    private static final byte REPAIRING = 1;
    private static final byte DIRTY = 2;
    /** Tells apart entries that reuse an index, so a late answer never settles a newer entry. */
    private int[] serial = new int[16];
    /**
     * Backend connection kinds that carried writes of the key to the server: its deletes go on each, so
     * that each is queued behind those writes (a connection is a FIFO; two connections are not ordered).
     */
    private byte[] connectionKinds = new byte[16];
    /** Deletes of the entry in flight, and whether one of them failed. */
    private byte[] deletesPending = new byte[16];
    private boolean[] deleteFailed = new boolean[16];
    private int nextSerial = 1;
    /** Slots of the hash table hold entry index + 1; 0 is empty, -1 a deleted entry's tombstone. */
    private int[] table = new int[32];
    private int tombstones;
    private byte[] keys = new byte[1024];
    private int keysUsed;
    private int entryCount;
    /** Live entries by kind, so a driver can tell cheaply whether any of a kind waits. */
    private final int[] countByKind = new int[KINDS.length];
    /** Entries created (some since removed): the next free index in the parallel arrays. */
    private int entriesCreated;
    private boolean[] flushNeeded;

    /**
     * @param serverCount distinct servers of the topology (entries name them by topology index)
     * @param maxEntries entries held at once; beyond that {@link #record} refuses
     */
    public RepairLog(int serverCount, int maxEntries) {
        this.maxEntries = maxEntries;
        this.maxKeyBytes = maxEntries * 64;
        this.flushNeeded = new boolean[serverCount];
    }

    public int serverCount() {
        return flushNeeded.length;
    }

    public int size() {
        return entryCount;
    }

    public boolean isEmpty() {
        return entryCount == 0 && !anyFlushNeeded();
    }

    /** Live entries of {@code entryKind}. */
    public int count(Kind entryKind) {
        return countByKind[entryKind.ordinal()];
    }

    /** Whether some server waits to be flushed. */
    public boolean anyFlushNeeded() {
        for (boolean flag : flushNeeded) {
            if (flag) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code entries} more entries (of up to {@code keyLength} bytes each) fit now. */
    public boolean hasRoom(int entries, int keyLength) {
        return entryCount + entries <= maxEntries && keyArenaRoom() >= (long) entries * keyLength;
    }

    /**
     * Records (server, key) with {@code kind}; an existing entry for the pair takes the new kind only if
     * it is stronger ({@link Kind#MISSED} and {@link Kind#REPLICA} outrank {@link Kind#STAND_IN}).
     *
     * @return false when the log is full and the entry is not held
     */
    public boolean record(int serverIndex, Kind entryKind, int connectionKind, Buffer source, int offset, int length) {
        int h = hashOf(serverIndex, source, offset, length);
        int found = find(serverIndex, h, source, offset, length);
        if (found >= 0) {
            if (kind[found] == Kind.STAND_IN.ordinal()) {
                countByKind[kind[found]]--;
                kind[found] = (byte) entryKind.ordinal();
                countByKind[kind[found]]++;
            }
            connectionKinds[found] |= (byte) (1 << connectionKind);
            if (repairState[found] == REPAIRING) {
                // The delete in flight may come before what made this record: it must be sent again.
                repairState[found] = DIRTY;
            }
            return true;
        }
        if (!hasRoom(1, length)) {
            return false;
        }
        int entry = newEntry(length);
        server[entry] = serverIndex;
        kind[entry] = (byte) entryKind.ordinal();
        connectionKinds[entry] = (byte) (1 << connectionKind);
        countByKind[entryKind.ordinal()]++;
        hash[entry] = h;
        for (int i = 0; i < length; i++) {
            keys[keyStart[entry] + i] = source.get(offset + i);
        }
        insert(entry);
        return true;
    }

    /** Room for servers numbered up to {@code serverCount} - 1 (a reload added some). */
    public void ensureServerCount(int serverCount) {
        if (serverCount > flushNeeded.length) {
            flushNeeded = Arrays.copyOf(flushNeeded, serverCount);
        }
    }

    /**
     * The server left the pool (a reload): nothing is owed to it any more, and nothing can be sent to it.
     * Should its address come back, it comes back as a server new to the pool.
     */
    public void forget(int serverIndex) {
        flushed(serverIndex);
    }

    /** The server must be emptied before it is trusted again: more was lost than the log could hold. */
    public void requireFlush(int serverIndex) {
        flushNeeded[serverIndex] = true;
    }

    public boolean flushNeeded(int serverIndex) {
        return flushNeeded[serverIndex];
    }

    /** The server was flushed: its flag and every entry for it are settled. */
    public void flushed(int serverIndex) {
        flushNeeded[serverIndex] = false;
        for (int e = 0; e < entriesCreated; e++) {
            if (used[e] && server[e] == serverIndex) {
                remove(e);
            }
        }
    }

    // --- iteration by entry index, for the repair driver ---

    /** One past the highest entry index in use; entries are visited with {@link #isLive}. */
    public int entryLimit() {
        return entriesCreated;
    }

    public boolean isLive(int entry) {
        return entry < entriesCreated && used[entry];
    }

    public int server(int entry) {
        return server[entry];
    }

    public Kind kind(int entry) {
        return KINDS[kind[entry]];
    }

    /** Copies the entry's key to {@code target} (for a delete request). */
    public void copyKey(int entry, Buffer target) {
        target.put(keys, keyStart[entry], keyLength[entry]);
    }

    public int keyLength(int entry) {
        return keyLength[entry];
    }

    /** The key's bytes, valid until the log next changes. */
    public byte[] keyBytes() {
        return keys;
    }

    public int keyStart(int entry) {
        return keyStart[entry];
    }

    /** The entry's serial, to hand back with {@link #repairAnswered}. */
    public int serial(int entry) {
        return serial[entry];
    }

    /** Whether a delete for the entry is in flight. */
    public boolean isRepairing(int entry) {
        return repairState[entry] != IDLE;
    }

    /** Bit {@code k} set: writes of the key went to the server over connection kind {@code k}. */
    public int connectionKinds(int entry) {
        return connectionKinds[entry];
    }

    /** {@code deletes} deletes for the entry were sent (one per connection kind it names). */
    public void repairSent(int entry, int deletes) {
        repairState[entry] = REPAIRING;
        deletesPending[entry] = (byte) deletes;
        deleteFailed[entry] = false;
    }

    /**
     * The delete sent for the entry was answered: {@code ok} settles it, unless it was recorded again
     * meanwhile; otherwise it waits for the next attempt.
     */
    public void repairAnswered(int entry, int entrySerial, boolean ok) {
        if (entry >= entriesCreated || !used[entry] || serial[entry] != entrySerial) {
            return;
        }
        deleteFailed[entry] |= !ok;
        if (--deletesPending[entry] > 0) {
            return;
        }
        ok = !deleteFailed[entry];
        if (ok && repairState[entry] == REPAIRING) {
            remove(entry);
        } else {
            repairState[entry] = IDLE;
        }
    }

    /** The entry is settled. */
    public void remove(int entry) {
        if (!used[entry]) {
            return;
        }
        used[entry] = false;
        entryCount--;
        countByKind[kind[entry]]--;
        int mask = table.length - 1;
        for (int slot = hash[entry] & mask; ; slot = (slot + 1) & mask) {
            if (table[slot] == entry + 1) {
                table[slot] = -1;
                tombstones++;
                break;
            }
        }
        if (entryCount == 0) {
            // Everything settled: start over, so the arena and the arrays do not creep.
            Arrays.fill(table, 0);
            tombstones = 0;
            keysUsed = 0;
            entriesCreated = 0;
        }
    }

    private int find(int serverIndex, int h, Buffer source, int offset, int length) {
        int mask = table.length - 1;
        for (int slot = h & mask; table[slot] != 0; slot = (slot + 1) & mask) {
            int entry = table[slot] - 1;
            // A settled entry's fields stay as they were: only a live one may answer for its key.
            if (entry >= 0 && used[entry] && hash[entry] == h && server[entry] == serverIndex && keyLength[entry] == length
                    && keyEquals(entry, source, offset, length)) {
                return entry;
            }
        }
        return -1;
    }

    private boolean keyEquals(int entry, Buffer source, int offset, int length) {
        int start = keyStart[entry];
        for (int i = 0; i < length; i++) {
            if (keys[start + i] != source.get(offset + i)) {
                return false;
            }
        }
        return true;
    }

    private long keyArenaRoom() {
        return (long) maxKeyBytes - keysUsed;
    }

    private int newEntry(int length) {
        if (entriesCreated == server.length) {
            int capacity = server.length * 2;
            server = Arrays.copyOf(server, capacity);
            kind = Arrays.copyOf(kind, capacity);
            keyStart = Arrays.copyOf(keyStart, capacity);
            keyLength = Arrays.copyOf(keyLength, capacity);
            hash = Arrays.copyOf(hash, capacity);
            used = Arrays.copyOf(used, capacity);
            repairState = Arrays.copyOf(repairState, capacity);
            serial = Arrays.copyOf(serial, capacity);
            connectionKinds = Arrays.copyOf(connectionKinds, capacity);
            deletesPending = Arrays.copyOf(deletesPending, capacity);
            deleteFailed = Arrays.copyOf(deleteFailed, capacity);
        }
        if (keysUsed + length > keys.length) {
            keys = Arrays.copyOf(keys, Math.max(keys.length * 2, keysUsed + length));
        }
        int entry = entriesCreated++;
        keyStart[entry] = keysUsed;
        keyLength[entry] = length;
        keysUsed += length;
        used[entry] = true;
        repairState[entry] = IDLE;
        serial[entry] = nextSerial++;
        entryCount++;
        return entry;
    }

    private void insert(int entry) {
        if ((entryCount + tombstones) * 2 > table.length) {
            // The rehash places every live entry, this new one included: placing it again would leave a
            // second slot naming it, which outlives its removal and would take its key's next record.
            rehash(Math.max(table.length, Integer.highestOneBit(Math.max(1, entryCount)) * 4));
            return;
        }
        int mask = table.length - 1;
        int slot = hash[entry] & mask;
        while (table[slot] > 0) {
            slot = (slot + 1) & mask;
        }
        if (table[slot] < 0) {
            tombstones--;
        }
        table[slot] = entry + 1;
    }

    private void rehash(int capacity) {
        table = new int[capacity];
        tombstones = 0;
        int mask = capacity - 1;
        for (int e = 0; e < entriesCreated; e++) {
            if (used[e]) {
                int slot = hash[e] & mask;
                while (table[slot] != 0) {
                    slot = (slot + 1) & mask;
                }
                table[slot] = e + 1;
            }
        }
    }

    private static int hashOf(int serverIndex, Buffer source, int offset, int length) {
        int h = 0x9e3779b9 * (serverIndex + 1);
        for (int i = 0; i < length; i++) {
            h = 31 * h + source.get(offset + i);
        }
        return h ^ (h >>> 16);
    }
}
