package io.kvproxy.route;

import io.kvproxy.config.ServerSpec;
import io.kvproxy.spi.ClusterRole;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The clusters of the config and the distinct server addresses behind them. A server that several
 * clusters list is one server here (one health record, one connection per worker), numbered in order
 * of first appearance: hosts, then hosts_backup, then hosts_read — the original kvproxy's alias order,
 * which is also the order of the {@code status} report.
 */
public final class Topology {

    private final Cluster master;
    private final Cluster backup;
    private final Cluster read;
    private final byte[] syncPrefix;
    private final List<ServerSpec> servers;
    private final List<ServerHealth> health;

    private Topology(Cluster master, Cluster backup, Cluster read, byte[] syncPrefix,
                     List<ServerSpec> servers, List<ServerHealth> health) {
        this.master = master;
        this.backup = backup;
        this.read = read;
        this.syncPrefix = syncPrefix;
        this.servers = servers;
        this.health = health;
    }

    /** Builds clusters that share health records by address. {@code backup} and {@code read} may be null. */
    public static Topology build(io.kvproxy.config.ClusterSpec master, io.kvproxy.config.ClusterSpec backup,
                                 io.kvproxy.config.ClusterSpec read, Distribution distribution,
                                 HashFunction hash, HashTag hashTag, byte[] syncPrefix) {
        Map<String, Integer> byAddress = new LinkedHashMap<>();
        List<ServerSpec> servers = new ArrayList<>();
        List<ServerHealth> health = new ArrayList<>();
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
                Integer known = byAddress.get(server.address());
                if (known == null) {
                    known = servers.size();
                    byAddress.put(server.address(), known);
                    servers.add(server);
                    health.add(new ServerHealth(server.address()));
                }
                index[i] = known;
                clusterHealth[i] = health.get(known);
            }
            clusters.add(new Cluster(spec, clusterHealth, index, distribution, hash, hashTag));
        }
        return new Topology(clusters.get(0), clusters.get(1), clusters.get(2), syncPrefix.clone(),
                List.copyOf(servers), List.copyOf(health));
    }

    /** The cluster of {@code role}, or null when the config has none. */
    public Cluster cluster(ClusterRole role) {
        return switch (role) {
            case MASTER -> master;
            case BACKUP -> backup;
            case READ -> read;
        };
    }

    /** Distinct server addresses over all clusters. */
    public int serverCount() {
        return servers.size();
    }

    /** Distinct server {@code index} (its address; id and weight as the first cluster listing it gave). */
    public ServerSpec server(int index) {
        return servers.get(index);
    }

    public ServerHealth health(int index) {
        return health.get(index);
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
