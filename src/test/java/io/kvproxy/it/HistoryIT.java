package io.kvproxy.it;

import io.kvproxy.it.History.KeyKind;
import io.kvproxy.it.History.KeySpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The history checker of issue 11, in the style of Jepsen. Seven clients — two pipelining text, one binary,
 * one noreply, two half-closing, one meta (loud writes, quiet reads ended by mn) — write and read 60 keys through the real daemon over 3 master and 3
 * backup memcached servers (ids lined up, sync_str "s:") while a seeded {@link FaultSchedule} hangs and
 * kills master and backup servers for about 45 s. Every operation is recorded; during the run and at the
 * end {@link HistoryChecker} judges the history: no stale read, every request answered with its own
 * reply, the backup holding nothing its master does not, deletes leaving keys nowhere, and the
 * replication accounting adding up once the queue drained ({@link HistoryHarness} runs it all).
 *
 * <p>{@code -Dhistory.seed=N} reruns one seed (the schedule and every client's choices; the timing is
 * the machine's); {@code -Dhistory.faultSeconds=S} changes how long the faults go on.
 */
@Timeout(180)
class HistoryIT extends HistoryHarness<MemcachedServer> {

    private static final List<String> REGISTER_WRITERS = List.of("t0", "t1", "b0", "n0", "h0", "h1", "m0");
    private static final List<String> COUNTER_WRITERS = List.of("t0", "t1", "b0", "m0");

    @Test
    void noAcknowledgedWriteIsShadowedLostOrUnansweredWhileServersHangDieAndReturn() throws Exception {
        runUnderFaults();
    }

    /**
     * The calibration: the same clients straight against one memcached, no proxy and no faults, for a few
     * seconds. Any violation here is the test's own mistake, not kvproxy's.
     */
    @Test
    void theClientsAndTheCheckerFindNothingWrongWithALoneMemcached() throws Exception {
        runAlone(300_000);
    }

    @Override
    MemcachedServer startServer() throws IOException, InterruptedException {
        return MemcachedServer.start();
    }

    @Override
    String poolSection() {
        return "[memcached]\nextension = memcached.jar\n";
    }

    /** 48 set/delete keys over all seven writers and 12 counters over the four that speak incr/decr; every fourth key is synchronous. */
    @Override
    Map<String, List<KeySpec>> declareKeys(History history) {
        Map<String, List<KeySpec>> owned = new HashMap<>();
        for (int i = 0; i < 48; i++) {
            KeySpec spec = new KeySpec((i % 4 == 0 ? "s:" : "") + "r" + i, KeyKind.REGISTER, REGISTER_WRITERS.get(i % REGISTER_WRITERS.size()));
            history.declare(spec.key(), spec.kind(), spec.writer());
            owned.computeIfAbsent(spec.writer(), w -> new ArrayList<>()).add(spec);
        }
        for (int i = 0; i < 12; i++) {
            KeySpec spec = new KeySpec((i % 4 == 0 ? "s:" : "") + "c" + i, i % 2 == 0 ? KeyKind.COUNTER_UP : KeyKind.COUNTER_DOWN,
                    COUNTER_WRITERS.get(i % COUNTER_WRITERS.size()));
            history.declare(spec.key(), spec.kind(), spec.writer());
            owned.get(spec.writer()).add(spec);
        }
        return owned;
    }

    @Override
    List<HistoryClient> clients(Map<String, List<KeySpec>> owned, HistoryClient.Run run, Random random) {
        return List.of(
                new TextHistoryClient("t0", TextHistoryClient.Mode.PIPELINING, random.nextLong(), owned.get("t0"), run),
                new TextHistoryClient("t1", TextHistoryClient.Mode.PIPELINING, random.nextLong(), owned.get("t1"), run),
                new BinaryHistoryClient("b0", random.nextLong(), owned.get("b0"), run),
                new NoreplyHistoryClient("n0", random.nextLong(), owned.get("n0"), run),
                new TextHistoryClient("h0", TextHistoryClient.Mode.HALF_CLOSING, random.nextLong(), owned.get("h0"), run),
                new TextHistoryClient("h1", TextHistoryClient.Mode.HALF_CLOSING, random.nextLong(), owned.get("h1"), run),
                new MetaHistoryClient("m0", random.nextLong(), owned.get("m0"), run));
    }

    @Override
    Map<String, String> readOrError(int port, List<String> keys) throws IOException {
        return TextHistoryClient.readOrError(port, keys);
    }

    @Override
    long offlineServers() {
        return numericStats().get("kvproxy_backend_servers_offline");
    }

    private Map<String, String> stats() {
        Map<String, String> stats = new HashMap<>();
        try (RawClient c = new RawClient(proxy.port())) {
            for (String line : c.call("stats\r\n", "END\r\n").split("\r\n")) {
                String[] words = line.split(" ");
                if (words.length == 3 && words[0].equals("STAT")) {
                    stats.put(words[1], words[2]);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("stats through kvproxy failed", e);
        }
        return stats;
    }

    @Override
    Map<String, Long> numericStats() {
        Map<String, Long> numeric = new HashMap<>();
        stats().forEach((name, value) -> {
            if (!value.isEmpty() && value.chars().allMatch(Character::isDigit)) {
                numeric.put(name, Long.parseLong(value));
            }
        });
        return numeric;
    }

    @Override
    String status() {
        try (RawClient c = new RawClient(proxy.port())) {
            return c.call("status\r\n", "]\n\n");
        } catch (IOException e) {
            return "<status failed: " + e + ">";
        }
    }
}
