package io.kvproxy.memcached.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Figures named, merged over servers by their rule, and stale or failed samples left out, on a clock the test moves. */
@Timeout(30)
class PoolStatsTest {

    private long nowNanos = 1_000_000_000L;
    private final PoolStats pool = new PoolStats(() -> nowNanos);

    private static int slot(StatTable table, String name) {
        Buffer line = new Buffer(64, 1024);
        line.put(name.getBytes(StandardCharsets.US_ASCII));
        return table.slot(line, 0, name.length());
    }

    private static long[] sample(StatTable table, Object... nameValue) {
        long[] values = new long[table.slots()];
        Arrays.fill(values, StatTable.ABSENT);
        for (int i = 0; i < nameValue.length; i += 2) {
            values[slot(table, (String) nameValue[i])] = ((Number) nameValue[i + 1]).longValue();
        }
        return values;
    }

    @Test
    void namesAreFoundFlatAndPerSlabClass() {
        assertEquals("curr_items", StatTable.GENERAL.name(slot(StatTable.GENERAL, "curr_items")));
        assertEquals(-1, slot(StatTable.GENERAL, "pid"), "one server's own figure is not added up");
        assertEquals(-1, slot(StatTable.GENERAL, "curr_item"));
        assertEquals("items:12:age", StatTable.ITEMS.name(slot(StatTable.ITEMS, "items:12:age")));
        assertEquals(StatTable.Merge.MAX, StatTable.ITEMS.merge(slot(StatTable.ITEMS, "items:12:age")));
        assertEquals(StatTable.Merge.SUM, StatTable.ITEMS.merge(slot(StatTable.ITEMS, "items:12:number")));
        assertEquals("63:used_chunks", StatTable.SLABS.name(slot(StatTable.SLABS, "63:used_chunks")));
        assertEquals("total_malloced", StatTable.SLABS.name(slot(StatTable.SLABS, "total_malloced")));
        for (String bad : new String[] {"64:used_chunks", "items:x:number", "items:1:", "items::number", "1:nothing", ":used_chunks"}) {
            assertEquals(-1, slot(bad.startsWith("items") ? StatTable.ITEMS : StatTable.SLABS, bad), bad);
        }
    }

    @Test
    void freshSamplesAreSummedOrTakeTheLargest() {
        pool.ensureServers(3);
        pool.publish(0, StatTable.GENERAL, sample(StatTable.GENERAL, "curr_items", 10, "bytes", 100));
        pool.publish(1, StatTable.GENERAL, sample(StatTable.GENERAL, "curr_items", 5));
        pool.publish(0, StatTable.SLABS, sample(StatTable.SLABS, "1:chunk_size", 96, "1:used_chunks", 3));
        pool.publish(1, StatTable.SLABS, sample(StatTable.SLABS, "1:chunk_size", 96, "1:used_chunks", 4, "2:used_chunks", 1));
        PoolStats.Merged general = pool.merged(StatTable.GENERAL);
        assertEquals(3, general.servers());
        assertEquals(2, general.answered(), "server 2 never answered");
        assertEquals(15, general.values()[slot(StatTable.GENERAL, "curr_items")]);
        assertEquals(100, general.values()[slot(StatTable.GENERAL, "bytes")]);
        assertEquals(StatTable.ABSENT, general.values()[slot(StatTable.GENERAL, "evictions")]);
        long[] slabs = pool.merged(StatTable.SLABS).values();
        assertEquals(96, slabs[slot(StatTable.SLABS, "1:chunk_size")]);
        assertEquals(7, slabs[slot(StatTable.SLABS, "1:used_chunks")]);
        assertEquals(1, slabs[slot(StatTable.SLABS, "2:used_chunks")]);
    }

    @Test
    void staleAndFailedSamplesAreLeftOut() {
        pool.ensureServers(2);
        pool.publish(0, StatTable.GENERAL, sample(StatTable.GENERAL, "curr_items", 10));
        nowNanos += PoolStats.STALE_AFTER_NANOS / 2;
        pool.publish(1, StatTable.GENERAL, sample(StatTable.GENERAL, "curr_items", 5));
        PoolStats.Merged both = pool.merged(StatTable.GENERAL);
        assertEquals(2, both.answered());
        assertEquals(PoolStats.STALE_AFTER_NANOS / 2 / 1_000_000, both.oldestSampleMillis());
        nowNanos += PoolStats.STALE_AFTER_NANOS / 2 + 1;
        PoolStats.Merged one = pool.merged(StatTable.GENERAL);
        assertEquals(1, one.answered(), "server 0's sample aged out");
        assertEquals(5, one.values()[slot(StatTable.GENERAL, "curr_items")]);
        pool.failed(1, StatTable.GENERAL);
        PoolStats.Merged none = pool.merged(StatTable.GENERAL);
        assertEquals(0, none.answered());
        assertEquals(StatTable.ABSENT, none.values()[slot(StatTable.GENERAL, "curr_items")]);
    }

    @Test
    void aResetRequestChangesTheGeneration() {
        int before = pool.resetGeneration();
        pool.requestReset();
        assertTrue(pool.resetGeneration() != before);
    }
}
