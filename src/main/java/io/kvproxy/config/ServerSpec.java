package io.kvproxy.config;

/**
 * One line of a cluster section: {@code host:port = "id:weight"}.
 *
 * @param host literal address or host name as written
 * @param port TCP port
 * @param id the server's name on the ring: keys are placed by id, so an address can change without moving keys
 * @param weight share of the ring, relative to the cluster's other servers; 0 takes no keys
 * @param line line number in the config file, for messages
 */
public record ServerSpec(String host, int port, String id, int weight, int line) {

    /** {@code host:port}, the server's address as the config and {@code status} write it. */
    public String address() {
        return host + ":" + port;
    }
}
