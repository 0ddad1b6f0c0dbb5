package io.kvproxy.route;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The server addresses one pool has ever routed to, each with a number it keeps for the life of the
 * process, and its health record. A reload builds a new {@link Topology} over the same directory: a server
 * that stays keeps its number and its health (ejected, failure counts), so the workers' connections,
 * repair entries and replicas in flight, which name servers by number, stay right across it; a new
 * address takes the next number, and one that left and comes back takes its old one. A number never
 * names another address, so nothing recorded under it can be taken for another server's.
 *
 * <p>Numbers are handed out only by the control thread (at start and on a reload), under this object's
 * lock; workers read health records through the topologies built over it.
 */
public final class ServerDirectory {

    private final Map<String, Integer> byAddress = new HashMap<>();
    private final List<ServerHealth> health = new ArrayList<>();

    /** The number of {@code address}, given the next one if it is new here. */
    synchronized int indexOf(String address) {
        Integer known = byAddress.get(address);
        if (known != null) {
            return known;
        }
        int index = health.size();
        byAddress.put(address, index);
        health.add(new ServerHealth(address));
        return index;
    }

    /** Numbers handed out so far: one more than the highest. */
    public synchronized int size() {
        return health.size();
    }

    public synchronized ServerHealth health(int index) {
        return health.get(index);
    }
}
