package io.kvproxy.net;

import io.kvproxy.replicate.RepairLog;
import io.kvproxy.route.Cluster;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.Route;
import io.kvproxy.stats.WorkerCounters;

/**
 * {@link Route} for one worker: looks the key up on the shared ring of the cluster and returns this
 * worker's own connection to the server found. A write whose owner is out goes to its stand-in and is
 * recorded in the worker's {@link RepairLog}, so that the owner is cleaned of the key before it rejoins
 * and the stand-in's copy is deleted when the key moves back; a write that cannot be recorded is refused.
 */
final class WorkerRoute implements Route {

    /** Replaced by {@link #adopt} when a reload changes the pool's clusters. */
    private Topology topology;
    /** By connection kind, then server number. */
    private BackendConnection[][] backends;
    private final RepairLog repairs;
    private final WorkerCounters counters;
    private final Cluster.Placement placement = new Cluster.Placement();
    /** Servers being let back in: their stand-ins take no new writes until the rings say they are in. */
    private int rejoinsPending;

    WorkerRoute(Topology topology, BackendConnection[][] backends, RepairLog repairs, WorkerCounters counters) {
        this.topology = topology;
        this.backends = backends;
        this.repairs = repairs;
        this.counters = counters;
    }

    /** A reload gave the pool new clusters, and the lane new connections to go with them. */
    void adopt(Topology next, BackendConnection[][] connections) {
        topology = next;
        backends = connections;
    }

    /**
     * A server is about to rejoin: this worker's repair deletes are in flight, and a stand-in write made
     * now would escape them (it would be recorded after the deletes were chosen), so until {@link
     * #endRejoin} such writes are refused. It lasts one round trip.
     */
    void beginRejoin() {
        rejoinsPending++;
    }

    void endRejoin() {
        rejoinsPending--;
    }

    @Override
    public Backend writeBackendFor(int kind, Buffer key, int offset, int length) {
        Cluster master = topology.cluster(ClusterRole.MASTER);
        master.place(key.raw(), offset, length, placement);
        int server = placement.server;
        if (server < 0) {
            return null;
        }
        if (placement.standsIn()) {
            int owner = placement.owner;
            if (rejoinsPending > 0 || !repairs.hasRoom(2, length)) {
                counters.add(Counter.STAND_IN_REFUSED, 1);
                return null;
            }
            repairs.record(master.topologyIndex(owner), RepairLog.Kind.MISSED, kind, key, offset, length);
            repairs.record(master.topologyIndex(server), RepairLog.Kind.STAND_IN, kind, key, offset, length);
            counters.add(Counter.STAND_IN_WRITES, 1);
        }
        return backends[kind][master.topologyIndex(server)];
    }

    @Override
    public Backend backendFor(ClusterRole role, int kind, Buffer key, int offset, int length) {
        Cluster cluster = clusterFor(role);
        if (cluster == null) {
            return null;
        }
        int server = cluster.serverFor(key.raw(), offset, length);
        return server < 0 ? null : backends[kind][cluster.topologyIndex(server)];
    }

    @Override
    public int serverCount(ClusterRole role) {
        Cluster cluster = topology.cluster(role);
        return cluster == null ? 0 : cluster.size();
    }

    @Override
    public Backend backendAt(ClusterRole role, int kind, int index) {
        Cluster cluster = topology.cluster(role);
        return backends[kind][cluster.topologyIndex(index)];
    }

    @Override
    public byte[] syncPrefix() {
        return topology.syncPrefix();
    }

    private Cluster clusterFor(ClusterRole role) {
        if (role == ClusterRole.READ) {
            Cluster read = topology.cluster(ClusterRole.READ);
            return read != null && read.hasServers() ? read : topology.cluster(ClusterRole.MASTER);
        }
        return topology.cluster(role);
    }
}
