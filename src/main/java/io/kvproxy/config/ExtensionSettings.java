package io.kvproxy.config;

import java.util.Map;
import java.util.Optional;

/**
 * The extension section (named after the protocol, e.g. {@code [memcached]}): which jar serves it and
 * how its keys are routed.
 *
 * @param protocol the section name, which is the protocol's name ({@code memcached})
 * @param jar file name of the extension jar under {@code ext_path}
 * @param hosts the master cluster: every write and, without {@code hostsRead}, every read
 * @param hostsBackup cluster every successful write is replicated to, if any
 * @param hostsRead cluster reads go to, if any
 * @param syncPrefix keys starting with it are replicated synchronously; empty: all asynchronously
 * @param hash key hash function name (twemproxy's names)
 * @param distribution ketama, modula, random or kvproxy
 * @param hashTag two characters delimiting the hashed part of a key, if any
 * @param protocolSettings the section's remaining keys, for the extension itself (e.g. {@code proto})
 */
public record ExtensionSettings(
        String protocol,
        String jar,
        ClusterSpec hosts,
        Optional<ClusterSpec> hostsBackup,
        Optional<ClusterSpec> hostsRead,
        String syncPrefix,
        String hash,
        String distribution,
        Optional<String> hashTag,
        Map<String, String> protocolSettings) {

    public ExtensionSettings {
        protocolSettings = Map.copyOf(protocolSettings);
    }
}
