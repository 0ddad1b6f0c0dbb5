package io.kvproxy.memcached.stats;

import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The figures of one memcached stats group that add up over a pool of servers, and where each lives in a
 * sample: a flat part ({@code curr_items}, {@code total_malloced}) and, for the slab groups, one part per
 * slab class ({@code items:5:number}, {@code 5:used_chunks}). Counters and sizes are summed; ages and
 * per-class constants (a chunk's size) take the largest value, since a sum of them means nothing.
 * Figures that are one server's own (its pid, uptime, version, hash table size) are not in any table.
 *
 * <p>A sample is a {@code long[]} of {@link #slots()} values, {@link #ABSENT} where the server did not
 * report the figure. Immutable; shared by every worker.
 */
public final class StatTable {

    /** memcached's MAX_NUMBER_OF_SLAB_CLASSES: class ids are below it. */
    public static final int MAX_CLASSES = 64;
    /** A figure the server did not report. */
    public static final long ABSENT = Long.MIN_VALUE;

    /** How one figure of several servers becomes the pool's. */
    public enum Merge { SUM, MAX }

    /** {@code stats}: the general figures the proxy has no figure of its own for. */
    public static final StatTable GENERAL = new StatTable(0, "", null, List.of(
            "get_expired", "get_flushed", "delete_misses", "delete_hits", "incr_misses", "incr_hits", "decr_misses",
            "decr_hits", "cas_misses", "cas_hits", "cas_badval", "touch_hits", "touch_misses", "store_too_large",
            "store_no_memory", "auth_cmds", "auth_errors", "bytes_read", "bytes_written", "limit_maxbytes",
            "listen_disabled_num", "conn_yields", "hash_bytes", "slabs_moved", "malloc_fails", "bytes", "curr_items",
            "total_items", "slab_global_page_pool", "expired_unfetched", "evicted_unfetched", "evicted_active",
            "evictions", "reclaimed", "crawler_reclaimed", "crawler_items_checked", "lrutail_reflocked",
            "moves_to_cold", "moves_to_warm", "moves_within_lru", "direct_reclaims", "lru_bumps_dropped"),
            List.of());
    /** {@code stats items}: per slab class, {@code items:<class>:<name>}. */
    public static final StatTable ITEMS = new StatTable(1, "items", "items:", List.of(), List.of(
            "number", "number_hot", "number_warm", "number_cold", "age_hot:max", "age_warm:max", "age:max",
            "mem_requested", "evicted", "evicted_nonzero", "evicted_time:max", "outofmemory", "tailrepairs",
            "reclaimed", "expired_unfetched", "evicted_unfetched", "evicted_active", "crawler_reclaimed",
            "crawler_items_checked", "lrutail_reflocked", "moves_to_cold", "moves_to_warm", "moves_within_lru",
            "direct_reclaims", "hits_to_hot", "hits_to_warm", "hits_to_cold", "hits_to_temp"));
    /** {@code stats slabs}: per slab class, {@code <class>:<name>}, then the totals. */
    public static final StatTable SLABS = new StatTable(2, "slabs", "", List.of("active_slabs:max", "total_malloced"), List.of(
            "chunk_size:max", "chunks_per_page:max", "total_pages", "total_chunks", "used_chunks", "free_chunks",
            "free_chunks_end", "get_hits", "cmd_set", "delete_hits", "incr_hits", "decr_hits", "cas_hits",
            "cas_badval", "touch_hits"));

    /** Every table, indexed by {@link #id()}. */
    public static final List<StatTable> ALL = List.of(GENERAL, ITEMS, SLABS);

    private final int id;
    private final String group;
    private final byte[] request;
    private final String classPrefix;
    private final byte[] classPrefixBytes;
    private final String[] flatNames;
    private final byte[][] flatBytes;
    private final Merge[] flatMerges;
    private final String[] classNames;
    private final byte[][] classBytes;
    private final Merge[] classMerges;

    private StatTable(int id, String group, String classPrefix, List<String> flat, List<String> perClass) {
        this.id = id;
        this.group = group;
        this.request = ((group.isEmpty() ? "stats" : "stats " + group) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        this.classPrefix = classPrefix;
        this.classPrefixBytes = classPrefix == null ? null : classPrefix.getBytes(StandardCharsets.US_ASCII);
        this.flatNames = new String[flat.size()];
        this.flatBytes = new byte[flat.size()][];
        this.flatMerges = new Merge[flat.size()];
        describe(flat, flatNames, flatBytes, flatMerges);
        this.classNames = new String[perClass.size()];
        this.classBytes = new byte[perClass.size()][];
        this.classMerges = new Merge[perClass.size()];
        describe(perClass, classNames, classBytes, classMerges);
    }

    private static void describe(List<String> specs, String[] names, byte[][] bytes, Merge[] merges) {
        for (int i = 0; i < specs.size(); i++) {
            String spec = specs.get(i);
            boolean max = spec.endsWith(":max");
            names[i] = max ? spec.substring(0, spec.length() - 4) : spec;
            bytes[i] = names[i].getBytes(StandardCharsets.US_ASCII);
            merges[i] = max ? Merge.MAX : Merge.SUM;
        }
    }

    public int id() {
        return id;
    }

    /** The group word after {@code stats}; empty for the general figures. */
    public String group() {
        return group;
    }

    /** The request that asks a server for this group, CRLF included. */
    public byte[] request() {
        return request;
    }

    /** Length of a sample. */
    public int slots() {
        return flatNames.length + (classPrefix == null ? 0 : MAX_CLASSES * classNames.length);
    }

    /** Whether the figures are per slab class. */
    public boolean perClass() {
        return classPrefix != null;
    }

    /** The slot of the figure named at {@code [offset, offset + length)}, or -1 when it is not added up. */
    public int slot(Buffer line, int offset, int length) {
        for (int i = 0; i < flatBytes.length; i++) {
            if (length == flatBytes[i].length && line.regionEquals(offset, flatBytes[i])) {
                return i;
            }
        }
        if (classPrefix == null || length <= classPrefixBytes.length || !line.regionEquals(offset, classPrefixBytes)) {
            return -1;
        }
        int i = offset + classPrefixBytes.length;
        int end = offset + length;
        int slabClass = 0;
        int digits = 0;
        while (i < end && line.get(i) >= '0' && line.get(i) <= '9' && digits < 3) {
            slabClass = slabClass * 10 + line.get(i) - '0';
            digits++;
            i++;
        }
        if (digits == 0 || slabClass >= MAX_CLASSES || i >= end || line.get(i) != ':') {
            return -1;
        }
        i++;
        for (int f = 0; f < classBytes.length; f++) {
            if (end - i == classBytes[f].length && line.regionEquals(i, classBytes[f])) {
                return classSlot(slabClass, f);
            }
        }
        return -1;
    }

    /** The slot of a flat figure by name. */
    public int slotOf(String name) {
        for (int i = 0; i < flatNames.length; i++) {
            if (flatNames[i].equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no figure " + name + " in stats " + group);
    }

    /** Slots in reply order: the slab classes first (as memcached lists them), then the flat figures. */
    public int[] replyOrder() {
        int[] order = new int[slots()];
        int n = 0;
        if (classPrefix != null) {
            for (int c = 0; c < MAX_CLASSES; c++) {
                for (int f = 0; f < classNames.length; f++) {
                    order[n++] = classSlot(c, f);
                }
            }
        }
        for (int i = 0; i < flatNames.length; i++) {
            order[n++] = i;
        }
        return order;
    }

    /** The name memcached gives slot {@code slot}. */
    public String name(int slot) {
        if (slot < flatNames.length) {
            return flatNames[slot];
        }
        int index = slot - flatNames.length;
        return classPrefix + index / classNames.length + ":" + classNames[index % classNames.length];
    }

    public Merge merge(int slot) {
        if (slot < flatNames.length) {
            return flatMerges[slot];
        }
        return classMerges[(slot - flatNames.length) % classNames.length];
    }

    private int classSlot(int slabClass, int field) {
        return flatNames.length + slabClass * classNames.length + field;
    }
}
