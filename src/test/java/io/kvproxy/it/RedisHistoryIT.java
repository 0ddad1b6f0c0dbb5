package io.kvproxy.it;

import io.kvproxy.it.History.KeyKind;
import io.kvproxy.it.History.KeySpec;
import io.kvproxy.it.History.Outcome;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The history checker of {@link HistoryIT} for a Redis pool: four clients — two pipelining raw RESP,
 * one pipelining inline commands, one Jedis — write and read 60 keys through the real daemon over 3
 * master and 3 backup redis-servers (ids lined up, sync_str "s:") while the same seeded {@link
 * FaultSchedule} hangs and kills master and backup servers for about 45 s; the same {@link
 * HistoryChecker} judges the history under the same rules. Where Redis differs: an INCR on a missing key
 * creates it (from nothing, not from a reset: {@link Outcome#CREATED}); an MGET reads each of its keys;
 * an MSET or a multi-key DEL split over servers is acknowledged for every key by its one {@code +OK} or
 * integer, and its error leaves every key's outcome unknown (parts may have applied).
 *
 * <p>{@code -Dhistory.seed=N} and {@code -Dhistory.faultSeconds=S} as for {@link HistoryIT}.
 */
@Timeout(180)
class RedisHistoryIT extends HistoryHarness<RedisServer> {

    private static final List<String> WRITERS = List.of("r0", "r1", "i0", "j0");

    private int statsPort;

    @Test
    void noAcknowledgedWriteIsShadowedLostOrUnansweredWhileRedisServersHangDieAndReturn() throws Exception {
        runUnderFaults();
    }

    /**
     * The calibration: the same clients straight against one redis-server, no proxy and no faults, for a
     * few seconds. Any violation here is the test's own mistake, not kvproxy's.
     */
    @Test
    void theClientsAndTheCheckerFindNothingWrongWithALoneRedisServer() throws Exception {
        runAlone(200_000);
    }

    @Override
    RedisServer startServer() throws IOException, InterruptedException {
        return RedisServer.start(null);
    }

    @Override
    String poolSection() {
        return "[redis]\nextension = redis.jar\n";
    }

    @Override
    boolean incrementsCreate() {
        return true;
    }

    /** The stats port: a Redis pool has no {@code stats} command. */
    @Override
    String kvproxyExtra() throws IOException {
        statsPort = MemcachedServer.freePort();
        return "\nstats_port = " + statsPort;
    }

    /** 48 SET/DEL keys and 12 INCR counters over the four writers; every fourth key is synchronous. */
    @Override
    Map<String, List<KeySpec>> declareKeys(History history) {
        Map<String, List<KeySpec>> owned = new HashMap<>();
        for (int i = 0; i < 60; i++) {
            boolean register = i < 48;
            KeySpec spec = new KeySpec((i % 4 == 0 ? "s:" : "") + (register ? "r" + i : "c" + (i - 48)),
                    register ? KeyKind.REGISTER : KeyKind.COUNTER_UP, WRITERS.get(i % WRITERS.size()));
            history.declare(spec.key(), spec.kind(), spec.writer());
            owned.computeIfAbsent(spec.writer(), w -> new ArrayList<>()).add(spec);
        }
        return owned;
    }

    @Override
    List<HistoryClient> clients(Map<String, List<KeySpec>> owned, HistoryClient.Run run, Random random) {
        return List.of(
                new RespHistoryClient("r0", RespHistoryClient.Mode.RESP, random.nextLong(), owned.get("r0"), run),
                new RespHistoryClient("r1", RespHistoryClient.Mode.RESP, random.nextLong(), owned.get("r1"), run),
                new RespHistoryClient("i0", RespHistoryClient.Mode.INLINE, random.nextLong(), owned.get("i0"), run),
                new JedisHistoryClient("j0", random.nextLong(), owned.get("j0"), run));
    }

    @Override
    Map<String, String> readOrError(int port, List<String> keys) throws IOException {
        return RespHistoryClient.readOrError(port, keys);
    }

    /** The pool's object of the stats port's report: its figures, and one object per server. */
    private Map<String, Object> pool() {
        try {
            Object pool = StatsJson.read(statsPort).get("redis");
            if (!(pool instanceof Map<?, ?> map)) {
                throw new IllegalStateException("the stats port has no pool \"redis\"");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = (Map<String, Object>) map;
            return fields;
        } catch (IOException e) {
            throw new IllegalStateException("the stats port failed", e);
        }
    }

    @Override
    Map<String, Long> numericStats() {
        Map<String, Long> numeric = new HashMap<>();
        pool().forEach((name, value) -> {
            if (value instanceof Long number) {
                numeric.put(name, number);
            }
        });
        return numeric;
    }

    @Override
    long offlineServers() {
        return pool().values().stream().filter(value -> value instanceof Map<?, ?> server && Long.valueOf(0).equals(server.get("kvproxy_online")))
                .count();
    }

    @Override
    String status() {
        return pool().toString();
    }
}
