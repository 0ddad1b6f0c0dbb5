package io.kvproxy.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A lone memcached (the reference, {@code -I 1m} as kvproxy's {@code max_packet = 1}) and kvproxy over
 * three masters and a backup, for tests that send the same bytes to both and compare the answers.
 */
final class SideBySidePool {

    final MemcachedServer reference;
    final List<MemcachedServer> masters = new ArrayList<>();
    final MemcachedServer backup;
    final KvproxyProcess proxy;
    private final List<MemcachedServer> servers = new ArrayList<>();

    private SideBySidePool(Path dir, String masterItemSizeMax, String kvproxyExtra) throws IOException, InterruptedException {
        reference = MemcachedServer.withItemSizeMax("1m");
        servers.add(reference);
        for (int i = 0; i < 3; i++) {
            masters.add(MemcachedServer.withItemSizeMax(masterItemSizeMax));
        }
        servers.addAll(masters);
        backup = MemcachedServer.withItemSizeMax(masterItemSizeMax);
        servers.add(backup);
        proxy = KvproxyProcess.startOverMastersAndBackup(dir, masters, backup, kvproxyExtra);
    }

    /** Starts it all; the masters and the backup take items up to {@code masterItemSizeMax} (memcached's -I). */
    static SideBySidePool start(Path dir, String masterItemSizeMax, String kvproxyExtra) throws IOException, InterruptedException {
        return new SideBySidePool(dir, masterItemSizeMax, kvproxyExtra);
    }

    /** Stops the daemon and every server; fails if one is left running. A pool that never started is null. */
    static void stop(SideBySidePool pool) throws InterruptedException {
        if (pool != null) {
            KvproxyProcess.stopAll(pool.proxy, pool.servers);
        }
    }
}
