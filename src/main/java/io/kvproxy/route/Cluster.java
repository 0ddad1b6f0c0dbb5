package io.kvproxy.route;

import io.kvproxy.config.ClusterSpec;
import io.kvproxy.config.ServerSpec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One cluster of the config (hosts, hosts_backup or hosts_read): its servers, their shared health, and
 * the ring over them. The ring is built once over every server; which servers are in is an immutable
 * snapshot replaced whole when a server leaves or rejoins, so workers look keys up without locks and
 * always see a complete membership.
 *
 * <p>A key has an <em>owner</em> (its server on the full ring) and, while its owner is out, a
 * <em>stand-in</em> (the next server in along the ring). Writes that land on a stand-in are what the
 * repair log remembers: the owner missed them, and the stand-in holds a copy that becomes stale once
 * the key moves back.
 */
public final class Cluster {

    /** Which servers are in the ring: {@code live[i]} for server i; {@code degraded} when any is out. */
    private record Membership(boolean[] live, boolean degraded, boolean empty) {
    }

    private final String name;
    private final List<ServerSpec> servers;
    private final ServerHealth[] health;
    private final int[] topologyIndexes;
    private final Ring ring;
    private volatile Membership membership;

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
        List<RingNode> nodes = new ArrayList<>(servers.size());
        for (int i = 0; i < servers.size(); i++) {
            nodes.add(new RingNode(servers.get(i).id(), servers.get(i).weight(), i));
        }
        this.ring = Ring.build(distribution, hash, hashTag, nodes);
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

    /** Index of the server in the ring that takes the key (owner or stand-in), or -1 when none is in. */
    public int serverFor(ByteBuffer buffer, int offset, int length) {
        Membership current = membership;
        if (!current.degraded()) {
            return ring.serverFor(buffer, offset, length);
        }
        return current.empty() ? -1 : ring.liveServerFor(buffer, offset, length, current.live());
    }

    /**
     * Fills {@code placement} with the server that takes the key and the key's owner, both from one look
     * at the membership: a write must know whether it lands on a stand-in by the same membership that
     * chose its server, or a rejoin published between two looks would let a stand-in write go unrecorded.
     */
    public void place(ByteBuffer buffer, int offset, int length, Placement placement) {
        Membership current = membership;
        int owner = ring.serverFor(buffer, offset, length);
        placement.owner = owner;
        if (!current.degraded()) {
            placement.server = owner;
        } else {
            placement.server = current.empty() ? -1 : ring.liveServerFor(buffer, offset, length, current.live());
        }
    }

    /** Where {@link #place} put a key; one per worker, reused for every key. */
    public static final class Placement {
        /** The server that takes the key now, or -1 when none is in. */
        public int server;
        /** The key's owner on the full ring. */
        public int owner;

        /** Whether the key's server stands in for its out owner. */
        public boolean standsIn() {
            return server >= 0 && server != owner;
        }
    }

    /** Index of the key's owner on the full ring, in or out; -1 only when no server can own keys. */
    public int ownerFor(ByteBuffer buffer, int offset, int length) {
        return ring.serverFor(buffer, offset, length);
    }

    /** Whether some server is out, so that a key's server may be a stand-in for its owner. */
    public boolean isDegraded() {
        return membership.degraded();
    }

    /** Whether server {@code index} is in the ring now. */
    public boolean isIn(int index) {
        return membership.live()[index];
    }

    /** Whether any server is in the ring. */
    public boolean hasServers() {
        return !membership.empty();
    }

    /** Publishes which servers are online now. Called when membership changes. */
    public void rebuild() {
        boolean[] live = new boolean[servers.size()];
        boolean degraded = false;
        boolean any = false;
        for (int i = 0; i < servers.size(); i++) {
            live[i] = health[i].isOnline();
            degraded |= !live[i];
            any |= live[i] && servers.get(i).weight() > 0;
        }
        membership = new Membership(live, degraded, !any || ring.isEmpty());
    }
}
