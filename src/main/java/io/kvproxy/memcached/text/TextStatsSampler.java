package io.kvproxy.memcached.text;

import io.kvproxy.memcached.stats.PoolStats;
import io.kvproxy.memcached.stats.StatTable;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Route;
import io.kvproxy.spi.WorkerTask;
import java.util.Arrays;

/**
 * Samples the master servers' {@code stats}, {@code stats items} and {@code stats slabs} once a
 * {@link PoolStats#SAMPLE_INTERVAL_NANOS} into {@link PoolStats}, so that a client's {@code stats} is
 * answered at once from a recent sample, never by waiting for the servers.
 *
 * <p>Why over the workers' own connections: a request queued on a backend connection like any client's
 * is answered in its turn, so its reply is framed off the connection's FIFO and can never interleave with
 * or be taken for a client's reply; the servers see no extra connections; and a server that is out or
 * hung is simply not asked (its connection is down) or times out like any request, which ages its sample
 * out of the sums. A separate sampling thread with connections of its own would have needed locks to hand
 * figures over and a second notion of a server's health. Each server is sampled by one worker only
 * (server {@code s} by worker {@code s % workers}), so the load is one round per server per interval.
 *
 * <p>{@code stats reset} reaches the servers the same way: {@link PoolStats#requestReset()} makes every
 * sampler send {@code stats reset} to its servers ahead of its next round; a server that is out or
 * does not answer RESET is counted ({@code kvproxy_pool_resets_missed}), its counters going on.
 *
 * <p>Owner: one worker. Allocates nothing per round: every receiver and its sample array is made once.
 */
public final class TextStatsSampler implements WorkerTask {

    private static final byte[] RESET = {'s', 't', 'a', 't', 's', ' ', 'r', 'e', 's', 'e', 't', '\r', '\n'};

    private final PoolStats pool;
    private final Route route;
    private final int[] servers;
    /** Receivers by this worker's server and table; each is reused once its reply is in. */
    private final Sample[][] samples;
    private final ResetReply resetReply = new ResetReply();
    private long nextRoundNanos;
    private int resetGeneration;

    public TextStatsSampler(PoolStats pool, Route route, int workerIndex, int workerCount, long startNanos) {
        this.pool = pool;
        this.route = route;
        int masters = route.serverCount(ClusterRole.MASTER);
        pool.ensureServers(masters);
        int mine = 0;
        for (int s = workerIndex; s < masters; s += workerCount) {
            mine++;
        }
        this.servers = new int[mine];
        this.samples = new Sample[mine][StatTable.ALL.size()];
        for (int i = 0, s = workerIndex; s < masters; s += workerCount, i++) {
            servers[i] = s;
            for (StatTable table : StatTable.ALL) {
                samples[i][table.id()] = new Sample(s, table);
            }
        }
        this.resetGeneration = pool.resetGeneration();
        // The first round as soon as the connections can be up: a client's first stats finds figures.
        this.nextRoundNanos = startNanos;
    }

    @Override
    public long nextDeadlineNanos() {
        return nextRoundNanos;
    }

    @Override
    public void run(long nowNanos) {
        nextRoundNanos = nowNanos + PoolStats.SAMPLE_INTERVAL_NANOS;
        int generation = pool.resetGeneration();
        boolean reset = generation != resetGeneration;
        resetGeneration = generation;
        for (int i = 0; i < servers.length; i++) {
            Backend backend = route.backendAt(ClusterRole.MASTER, TextSession.BACKEND_KIND, servers[i]);
            if (!backend.isAvailable()) {
                for (Sample sample : samples[i]) {
                    pool.failed(servers[i], sample.table);
                }
                if (reset) {
                    pool.resetMissed();
                }
                continue;
            }
            if (reset) {
                backend.output().put(RESET);
                backend.enqueue(resetReply);
            }
            for (Sample sample : samples[i]) {
                if (!sample.inFlight) {
                    sample.begin();
                    backend.output().put(sample.table.request());
                    backend.enqueue(sample);
                }
            }
        }
    }

    /** One server's answer to one stats group: its STAT lines, each a part, then END. */
    private final class Sample implements TextReplyReceiver {
        private final int server;
        private final StatTable table;
        private final long[] values;
        private boolean inFlight;

        Sample(int server, StatTable table) {
            this.server = server;
            this.table = table;
            this.values = new long[table.slots()];
        }

        void begin() {
            inFlight = true;
            Arrays.fill(values, StatTable.ABSENT);
        }

        @Override
        public boolean expectsValues() {
            return true;
        }

        @Override
        public boolean expectsStatLines() {
            return true;
        }

        @Override
        public void onReplyPart(Buffer buffer, int offset, int length) {
            // "STAT <name> <value>\r\n"; a value that is not a whole number (rusage, version) is not summed.
            int nameStart = offset + 5;
            int lineEnd = offset + length - (length >= 2 && buffer.get(offset + length - 2) == '\r' ? 2 : 1);
            int space = buffer.indexOf((byte) ' ', nameStart, lineEnd);
            if (space < 0) {
                return;
            }
            int slot = table.slot(buffer, nameStart, space - nameStart);
            if (slot >= 0) {
                values[slot] = parseUnsigned(buffer, space + 1, lineEnd);
            }
        }

        @Override
        public void onReply(Buffer buffer, int offset, int length) {
            inFlight = false;
            if (buffer.get(offset) == 'E' && buffer.get(offset + 1) == 'N') {
                pool.publish(server, table, values);
            } else {
                pool.failed(server, table);
            }
        }

        @Override
        public void onFailure(BackendFailure failure) {
            inFlight = false;
            pool.failed(server, table);
        }
    }

    /** Digits only, as memcached prints its counters; {@link StatTable#ABSENT} for anything else. */
    private static long parseUnsigned(Buffer buffer, int from, int to) {
        if (from >= to || to - from > 20) {
            return StatTable.ABSENT;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int digit = buffer.get(i) - '0';
            if (digit < 0 || digit > 9) {
                return StatTable.ABSENT;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /** The answer to {@code stats reset}: RESET, or anything else, which is counted as a reset missed. */
    private final class ResetReply implements TextReplyReceiver {
        private static final byte[] RESET_REPLY = {'R', 'E', 'S', 'E', 'T', '\r', '\n'};

        @Override
        public boolean expectsValues() {
            return false;
        }

        @Override
        public void onReply(Buffer buffer, int offset, int length) {
            if (length != RESET_REPLY.length || !buffer.regionEquals(offset, RESET_REPLY)) {
                pool.resetMissed();
            }
        }

        @Override
        public void onFailure(BackendFailure failure) {
            pool.resetMissed();
        }
    }
}
