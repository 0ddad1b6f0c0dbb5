package io.kvproxy.config;

import java.util.Map;
import java.util.Optional;

/**
 * One pool: a section with an {@code extension} key, named as the section is. Its clients connect to its
 * own listen address, speak its extension's protocol, and have their keys routed on its clusters.
 *
 * @param name the section name (for the original one-pool file, the protocol's name: {@code memcached})
 * @param jar file name of the extension jar under {@code ext_path}
 * @param listenHost address the pool's listener binds ({@code listen}, else {@code [kvproxy] bind})
 * @param listenPort port of the pool's listener ({@code listen}, else {@code [kvproxy] port})
 * @param hosts the master cluster: every write and, without {@code hostsRead}, every read
 * @param hostsBackup cluster every successful write is replicated to, if any
 * @param hostsRead cluster reads go to, if any
 * @param syncPrefix keys starting with it are replicated synchronously; empty: all asynchronously
 * @param hash key hash function name (twemproxy's names)
 * @param distribution ketama, modula, random or kvproxy
 * @param hashTag two characters delimiting the hashed part of a key, if any
 * @param protocolSettings the section's keys the core does not know, for the extension, which validated
 *     them (memcached: {@code proto}); their lines are in {@link ProxyConfig#lineOf}
 */
public record PoolSettings(
        String name,
        String jar,
        String listenHost,
        int listenPort,
        ClusterSpec hosts,
        Optional<ClusterSpec> hostsBackup,
        Optional<ClusterSpec> hostsRead,
        String syncPrefix,
        String hash,
        String distribution,
        Optional<String> hashTag,
        Map<String, String> protocolSettings) {

    public PoolSettings {
        protocolSettings = Map.copyOf(protocolSettings);
    }

    /** {@code host:port} of the listener, brackets around an IPv6 literal. */
    public String listenAddress() {
        return (listenHost.contains(":") && !listenHost.startsWith("[") ? "[" + listenHost + "]" : listenHost) + ":" + listenPort;
    }
}
