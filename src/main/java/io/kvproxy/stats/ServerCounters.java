package io.kvproxy.stats;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One worker's counters of one pool in twemproxy's terms: a row per backend server, by the server's number
 * in the pool's {@link io.kvproxy.route.ServerDirectory} (kept across reloads, so a server that stays keeps
 * its row and its counts), and the pool's client-side counts. Written only by the owning worker with
 * {@code lazySet} (an ordered store, no lock prefix, no allocation), read by any thread summing the
 * workers for the stats port.
 *
 * <p>Rows grow only when the worker first connects to a server a reload added; the grown array is
 * published through a volatile field after the old rows are copied into it, and the owner writes only the
 * new one from then on, so a reader sees every count either way.
 */
public final class ServerCounters {

    /** One server's fields, named as nutcracker names them. Gauges (connections, queues) go up and down. */
    public enum ServerField {
        SERVER_EOF, SERVER_ERR, SERVER_TIMEDOUT, SERVER_CONNECTIONS, REQUESTS, REQUEST_BYTES, RESPONSES,
        RESPONSE_BYTES, IN_QUEUE, IN_QUEUE_BYTES, OUT_QUEUE, OUT_QUEUE_BYTES;

        /** The JSON key nutcracker writes for this field. */
        public String statName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The pool's client-side fields, named as nutcracker names them. */
    public enum PoolField {
        CLIENT_EOF, CLIENT_ERR, CLIENT_CONNECTIONS;

        public String statName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final ServerField[] SERVER_FIELDS = ServerField.values();
    private static final int WIDTH = SERVER_FIELDS.length;

    private final AtomicLongArray pool = new AtomicLongArray(PoolField.values().length);
    private volatile AtomicLongArray servers;

    public ServerCounters(int serverCount) {
        servers = new AtomicLongArray(Math.max(serverCount, 1) * WIDTH);
    }

    /** Owner thread only: makes room for server number {@code server} (a reload added it). */
    public void ensureServer(int server) {
        AtomicLongArray current = servers;
        if ((server + 1) * WIDTH <= current.length()) {
            return;
        }
        AtomicLongArray grown = new AtomicLongArray(Math.max((server + 1) * WIDTH, current.length() * 2));
        for (int i = 0; i < current.length(); i++) {
            grown.lazySet(i, current.get(i));
        }
        servers = grown;
    }

    /** Owner thread only; {@code amount} may be negative for a gauge. */
    public void add(int server, ServerField field, long amount) {
        AtomicLongArray rows = servers;
        int i = server * WIDTH + field.ordinal();
        rows.lazySet(i, rows.get(i) + amount);
    }

    /** Owner thread only. */
    public void add(PoolField field, long amount) {
        int i = field.ordinal();
        pool.lazySet(i, pool.get(i) + amount);
    }

    /** Any thread; 0 for a server this worker never connected to. */
    public long get(int server, ServerField field) {
        AtomicLongArray rows = servers;
        int i = server * WIDTH + field.ordinal();
        return i < rows.length() ? rows.get(i) : 0;
    }

    /** Any thread: one field summed over every server's row. */
    public long total(ServerField field) {
        AtomicLongArray rows = servers;
        long sum = 0;
        for (int i = field.ordinal(); i < rows.length(); i += WIDTH) {
            sum += rows.get(i);
        }
        return sum;
    }

    /** Any thread. */
    public long get(PoolField field) {
        return pool.get(field.ordinal());
    }
}
