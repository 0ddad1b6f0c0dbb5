package io.kvproxy.route;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ServerSpec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One cluster of the config (hosts, hosts_backup or hosts_read): its servers, their shared health, and
 * the ring over the servers that are in. The ring is immutable and replaced whole when a server leaves
 * or rejoins, so workers look keys up without locks and always see a complete ring.
 */
public final class Cluster {

    private final String name;
    private final List<ServerSpec> servers;
    private final ServerHealth[] health;
    private final int[] topologyIndexes;
    private final Distribution distribution;
    private final HashFunction hash;
    private final HashTag hashTag;
    private volatile Ring ring;

    /**
     * @param health one entry per server of {@code spec}, in the same order (shared with other clusters
     *     that list the same address)
     * @param topologyIndexes each server's index among the topology's distinct addresses
     * @param hashTag may be null
     */
    public Cluster(ClusterSpec spec, ServerHealth[] health, int[] topologyIndexes, Distribution distribution,
                   HashFunction hash, HashTag hashTag) {
        if (health.length != spec.servers().size() || topologyIndexes.length != health.length) {
            throw new IllegalArgumentException("health for " + health.length + " of " + spec.servers().size() + " servers");
        }
        this.name = spec.name();
        this.servers = spec.servers();
        this.health = health.clone();
        this.topologyIndexes = topologyIndexes.clone();
        this.distribution = distribution;
        this.hash = hash;
        this.hashTag = hashTag;
        rebuild();
    }

    public String name() {
        return name;
    }

    public int size() {
        return servers.size();
    }

    public ServerSpec server(int index) {
        return servers.get(index);
    }

    public ServerHealth health(int index) {
        return health[index];
    }

    /** The topology's index of server {@code index} (shared by every cluster that lists its address). */
    public int topologyIndex(int index) {
        return topologyIndexes[index];
    }

    /** Index of the server that owns the key, or -1 when no server is in the ring. */
    public int serverFor(ByteBuffer buffer, int offset, int length) {
        return ring.serverFor(buffer, offset, length);
    }

    /** Whether any server is in the ring. */
    public boolean hasServers() {
        return !ring.isEmpty();
    }

    /** Rebuilds the ring from the servers currently online. Called when membership changes. */
    public void rebuild() {
        List<RingNode> nodes = new ArrayList<>(servers.size());
        for (int i = 0; i < servers.size(); i++) {
            if (health[i].isOnline()) {
                ServerSpec server = servers.get(i);
                nodes.add(new RingNode(server.id(), server.weight(), i));
            }
        }
        ring = Ring.build(distribution, hash, hashTag, nodes);
    }
}
