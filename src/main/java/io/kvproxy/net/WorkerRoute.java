package io.kvproxy.net;

import io.kvproxy.route.Cluster;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Route;

/**
 * {@link Route} for one worker: looks the key up on the shared ring of the cluster and returns this
 * worker's own connection to the server found.
 */
final class WorkerRoute implements Route {

    private final Topology topology;
    private final int asyncLimit;
    /** By connection kind, then topology server index. */
    private final BackendConnection[][] backends;

    WorkerRoute(Topology topology, BackendConnection[][] backends, int asyncLimit) {
        this.topology = topology;
        this.asyncLimit = asyncLimit;
        this.backends = backends;
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
    public boolean hasBackup() {
        return topology.cluster(ClusterRole.BACKUP) != null;
    }

    @Override
    public int asyncLimit() {
        return asyncLimit;
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
