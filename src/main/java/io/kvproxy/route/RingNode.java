package io.kvproxy.route;

import java.util.Objects;

/**
 * A server as a ring sees it. The ring places it by {@code name} (the config id), never by address, so
 * a server can move without moving its keys and two clusters with the same ids split keys alike.
 *
 * @param name the config id; ring points are hashed from {@code "<name>-<i>"} (UTF-8)
 * @param weight share of the keys, relative to the other nodes; 0 means the node never owns a key
 * @param index the caller's index for this server within its cluster; what {@link Ring#serverFor} returns
 */
public record RingNode(String name, int weight, int index) {

    public RingNode {
        Objects.requireNonNull(name, "name");
        if (weight < 0) {
            throw new IllegalArgumentException("negative weight " + weight + " for ring node " + name);
        }
    }
}
