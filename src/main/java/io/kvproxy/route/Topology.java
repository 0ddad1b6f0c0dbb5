package io.kvproxy.route;

import io.kvproxy.config.ServerSpec;
import io.kvproxy.spi.ClusterRole;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The clusters of one pool and the distinct server addresses behind them. A server that several
 * clusters list is one server here (one health record, one connection per worker). Servers are numbered
 * by the pool's {@link ServerDirectory}, which keeps a number for the life of the process: a reload's new
 * topology gives a server that stays the number it had, and numbers of servers no longer listed are
 * simply not in it ({@link #contains}). {@link #serverCount} is one more than the highest number, the
 * size of arrays indexed by server.
 */
public final class Topology {

    private final Cluster master;
    private final Cluster backup;
    private final Cluster read;
    private final byte[] syncPrefix;
    /** By server number; null for a number this topology does not list. */
    private final ServerSpec[] servers;
    private final ServerHealth[] health;

    private Topology(Cluster master, Cluster backup, Cluster read, byte[] syncPrefix, ServerSpec[] servers, ServerHealth[] health) {
        this.master = master;
        this.backup = backup;
        this.read = read;
        this.syncPrefix = syncPrefix;
        this.servers = servers;
        this.health = health;
    }

    /** As {@link #build(ServerDirectory, io.kvproxy.config.ClusterSpec, io.kvproxy.config.ClusterSpec, io.kvproxy.config.ClusterSpec, Distribution, HashFunction, HashTag, byte[])} over a directory of its own. */
    public static Topology build(io.kvproxy.config.ClusterSpec master, io.kvproxy.config.ClusterSpec backup,
                                 io.kvproxy.config.ClusterSpec read, Distribution distribution,
                                 HashFunction hash, HashTag hashTag, byte[] syncPrefix) {
        return build(new ServerDirectory(), master, backup, read, distribution, hash, hashTag, syncPrefix);
    }

    /**
     * Builds clusters that share health records by address, numbered by {@code directory} (in order of
     * first appearance, hosts then hosts_backup then hosts_read, for addresses new to it: the original
     * kvproxy's alias order, which is also the order of the {@code status} report). {@code backup} and
     * {@code read} may be null.
     */
    public static Topology build(ServerDirectory directory, io.kvproxy.config.ClusterSpec master, io.kvproxy.config.ClusterSpec backup,
                                 io.kvproxy.config.ClusterSpec read, Distribution distribution,
                                 HashFunction hash, HashTag hashTag, byte[] syncPrefix) {
        Map<Integer, ServerSpec> listed = new LinkedHashMap<>();
        List<Cluster> clusters = new ArrayList<>();
        for (io.kvproxy.config.ClusterSpec spec : new io.kvproxy.config.ClusterSpec[] {master, backup, read}) {
            if (spec == null) {
                clusters.add(null);
                continue;
            }
            int[] index = new int[spec.servers().size()];
            ServerHealth[] clusterHealth = new ServerHealth[index.length];
            for (int i = 0; i < index.length; i++) {
                ServerSpec server = spec.servers().get(i);
                index[i] = directory.indexOf(server.address());
                listed.putIfAbsent(index[i], server);
                clusterHealth[i] = directory.health(index[i]);
            }
            clusters.add(new Cluster(spec, clusterHealth, index, distribution, hash, hashTag));
        }
        int limit = directory.size();
        ServerSpec[] servers = new ServerSpec[limit];
        ServerHealth[] health = new ServerHealth[limit];
        for (Map.Entry<Integer, ServerSpec> server : listed.entrySet()) {
            servers[server.getKey()] = server.getValue();
            health[server.getKey()] = directory.health(server.getKey());
        }
        return new Topology(clusters.get(0), clusters.get(1), clusters.get(2), syncPrefix.clone(), servers, health);
    }

    /** The cluster of {@code role}, or null when the config has none. */
    public Cluster cluster(ClusterRole role) {
        return switch (role) {
            case MASTER -> master;
            case BACKUP -> backup;
            case READ -> read;
        };
    }

    /** One more than the highest server number: the size of arrays indexed by server. */
    public int serverCount() {
        return servers.length;
    }

    /** Whether server {@code index} is listed by one of this topology's clusters. */
    public boolean contains(int index) {
        return index < servers.length && servers[index] != null;
    }

    /** Servers listed, in number order. */
    public int listedCount() {
        int count = 0;
        for (ServerSpec server : servers) {
            count += server != null ? 1 : 0;
        }
        return count;
    }

    /** Server {@code index} (its address; id and weight as the first cluster listing it gave); listed only. */
    public ServerSpec server(int index) {
        return servers[index];
    }

    /** The health of server {@code index}; listed only. */
    public ServerHealth health(int index) {
        return health[index];
    }

    public byte[] syncPrefix() {
        return syncPrefix;
    }

    /** Rebuilds the rings of every cluster (a server left or rejoined). */
    public void rebuildRings() {
        for (Cluster cluster : new Cluster[] {master, backup, read}) {
            if (cluster != null) {
                cluster.rebuild();
            }
        }
    }
}
