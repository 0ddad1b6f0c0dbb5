package io.kvproxy.memcached.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.memcached.stats.PoolStats;
import io.kvproxy.memcached.stats.StatTable;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.ScriptedBackend;
import io.kvproxy.spi.Route;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sampler over fake backend connections: what it asks which server, and what the servers' replies,
 * framed as a backend connection frames them and split at every byte, leave in {@link PoolStats}.
 */
@Timeout(30)
class TextStatsSamplerTest {

    private static final String GENERAL_REPLY = "STAT pid 12\r\nSTAT version 1.6.18\r\nSTAT rusage_user 0.1\r\n"
            + "STAT curr_items 7\r\nSTAT bytes 700\r\nEND\r\n";
    private static final String ITEMS_REPLY = "STAT items:1:number 7\r\nSTAT items:1:age 30\r\nEND\r\n";
    private static final String SLABS_REPLY = "STAT 1:used_chunks 7\r\nSTAT active_slabs 1\r\nSTAT total_malloced 1048576\r\nEND\r\n";

    private long nowNanos = 5_000_000_000L;


    /** Feeds {@code replies} through a text framer, split once at {@code cut}, to {@code backend}'s receivers. */
    private static void answer(ScriptedBackend backend, String replies, int cut) throws Exception {
        byte[] bytes = replies.getBytes(StandardCharsets.ISO_8859_1);
        Buffer in = new Buffer(16, 1 << 16);
        TextReplyFramer framer = new TextReplyFramer();
        for (int from = 0; from < bytes.length; ) {
            int to = from == 0 && cut > 0 ? Math.min(cut, bytes.length) : bytes.length;
            in.put(bytes, from, to - from);
            from = to;
            int length;
            while (!backend.fifo.isEmpty() && !in.isEmpty() && (length = framer.frame(in, framer.expectation(backend.fifo.peek()))) > 0) {
                if (framer.endsReply()) {
                    backend.fifo.poll().onReply(in, in.readIndex(), length);
                } else {
                    backend.fifo.peek().onReplyPart(in, in.readIndex(), length);
                }
                in.skip(length);
            }
            in.compact();
        }
    }

    private static final class FakeRoute implements Route {
        final List<ScriptedBackend> masters = new ArrayList<>();

        FakeRoute(int servers) {
            for (int i = 0; i < servers; i++) {
                masters.add(new ScriptedBackend());
            }
        }

        @Override
        public Backend backendFor(ClusterRole role, int kind, Buffer key, int offset, int length) {
            throw new AssertionError("the sampler routes no keys");
        }

        @Override
        public Backend writeBackendFor(int kind, Buffer key, int offset, int length) {
            throw new AssertionError("the sampler routes no keys");
        }

        @Override
        public int serverCount(ClusterRole role) {
            return role == ClusterRole.MASTER ? masters.size() : 0;
        }

        @Override
        public Backend backendAt(ClusterRole role, int kind, int index) {
            assertEquals(ClusterRole.MASTER, role);
            assertEquals(TextSession.BACKEND_KIND, kind);
            return masters.get(index);
        }

        @Override
        public byte[] syncPrefix() {
            return new byte[0];
        }
    }

    @Test
    void eachWorkerSamplesItsShareOfTheServers() {
        FakeRoute route = new FakeRoute(3);
        PoolStats pool = new PoolStats(() -> nowNanos);
        TextStatsSampler second = new TextStatsSampler(pool, route, 1, 2, nowNanos);
        assertEquals(nowNanos, second.nextDeadlineNanos(), "the first round at once");
        second.run(nowNanos);
        assertEquals("", route.masters.get(0).sent());
        assertEquals("stats\r\nstats items\r\nstats slabs\r\n", route.masters.get(1).sent());
        assertEquals("", route.masters.get(2).sent());
        assertEquals(nowNanos + PoolStats.SAMPLE_INTERVAL_NANOS, second.nextDeadlineNanos());
        // The replies have not come: the next round asks nothing again.
        second.run(nowNanos + PoolStats.SAMPLE_INTERVAL_NANOS);
        assertEquals("", route.masters.get(1).sent());
    }

    @Test
    void repliesSplitAtEveryByteLandInThePool() throws Exception {
        String replies = GENERAL_REPLY + ITEMS_REPLY + SLABS_REPLY;
        for (int cut = 0; cut <= replies.length(); cut++) {
            FakeRoute route = new FakeRoute(1);
            PoolStats pool = new PoolStats(() -> nowNanos);
            TextStatsSampler sampler = new TextStatsSampler(pool, route, 0, 1, nowNanos);
            sampler.run(nowNanos);
            answer(route.masters.get(0), replies, cut);
            assertTrue(route.masters.get(0).fifo.isEmpty(), "cut " + cut);
            PoolStats.Merged general = pool.merged(StatTable.GENERAL);
            assertEquals(1, general.answered(), "cut " + cut);
            assertEquals(7, general.values()[StatTable.GENERAL.slotOf("curr_items")], "cut " + cut);
            assertEquals(700, general.values()[StatTable.GENERAL.slotOf("bytes")], "cut " + cut);
            assertEquals(1048576, pool.merged(StatTable.SLABS).values()[StatTable.SLABS.slotOf("total_malloced")], "cut " + cut);
            assertEquals(1, pool.merged(StatTable.ITEMS).answered(), "cut " + cut);
        }
    }

    @Test
    void aFailedOrUnavailableServerIsLeftOutAndAResetGoesAheadOfTheNextRound() throws Exception {
        FakeRoute route = new FakeRoute(2);
        PoolStats pool = new PoolStats(() -> nowNanos);
        TextStatsSampler sampler = new TextStatsSampler(pool, route, 0, 1, nowNanos);
        sampler.run(nowNanos);
        answer(route.masters.get(0), GENERAL_REPLY + ITEMS_REPLY + SLABS_REPLY, 0);
        answer(route.masters.get(1), GENERAL_REPLY + ITEMS_REPLY + SLABS_REPLY, 0);
        assertEquals(2, pool.merged(StatTable.GENERAL).answered());
        route.masters.get(0).sent();
        route.masters.get(1).sent();

        pool.requestReset();
        route.masters.get(1).available = false;
        nowNanos += PoolStats.SAMPLE_INTERVAL_NANOS;
        sampler.run(nowNanos);
        assertEquals("stats reset\r\nstats\r\nstats items\r\nstats slabs\r\n", route.masters.get(0).sent());
        assertEquals("", route.masters.get(1).sent());
        assertEquals(1, pool.merged(StatTable.GENERAL).answered(), "the unavailable server is out at once");
        assertEquals(1, pool.resetsMissed(), "the unavailable server missed the reset");
        answer(route.masters.get(0), "RESET\r\nERROR\r\n", 0);
        assertEquals(1, pool.resetsMissed(), "RESET is a reset taken");
        route.masters.get(0).fifo.poll().onFailure(BackendFailure.TIMEOUT);
        route.masters.get(0).fifo.poll().onFailure(BackendFailure.TIMEOUT);
        assertEquals(0, pool.merged(StatTable.GENERAL).answered(), "an error line is no sample");
        assertEquals(0, pool.merged(StatTable.ITEMS).answered(), "nor is a timeout");

        pool.requestReset();
        nowNanos += PoolStats.SAMPLE_INTERVAL_NANOS;
        sampler.run(nowNanos);
        answer(route.masters.get(0), "ERROR\r\n", 0);
        assertEquals(3, pool.resetsMissed(), "an error is a reset missed, and server 1 is still out");
    }
}
