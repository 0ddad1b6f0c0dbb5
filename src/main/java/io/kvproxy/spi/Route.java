package io.kvproxy.spi;

/**
 * Routes keys to the calling worker's backend connections. Keys are given as a region of a buffer and
 * are hashed in place.
 */
public interface Route {

    /**
     * The backend that owns {@code key} on the cluster of {@code role}, or {@code null} when the cluster
     * has no server in its ring. {@code kind} is the backend connection kind ({@link Protocol#backendKinds()}) (or does not exist, for {@link ClusterRole#BACKUP} without a backup
     * cluster). A {@link ClusterRole#READ} lookup falls back to the master cluster.
     */
    Backend backendFor(ClusterRole role, int kind, Buffer key, int offset, int length);

    /**
     * The master backend that takes a write of {@code key}: its owner, or while the owner is out the
     * stand-in the ring gives, the write then recorded so the owner is repaired before it rejoins. Null
     * when no server can take it: none is in, or the stand-in write cannot be recorded (the repair log is
     * full, or the owner is being let back in this very moment); answer the client unavailable.
     */
    Backend writeBackendFor(int kind, Buffer key, int offset, int length);

    /** Number of servers of the cluster of {@code role} (0 when it does not exist), in or out of the ring. */
    int serverCount(ClusterRole role);

    /** Server {@code index} of the cluster of {@code role}, for requests every server must see. */
    Backend backendAt(ClusterRole role, int kind, int index);

    /** The {@code sync_str} prefix: replicated synchronously when a key starts with it. Empty: never. */
    byte[] syncPrefix();
}
