package io.kvproxy.config;

import java.util.List;

/** A cluster section: its name and its servers in file order. */
public record ClusterSpec(String name, List<ServerSpec> servers) {

    public ClusterSpec {
        servers = List.copyOf(servers);
    }
}
