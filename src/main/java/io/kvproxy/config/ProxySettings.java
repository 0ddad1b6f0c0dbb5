package io.kvproxy.config;

import java.nio.file.Path;

/**
 * The validated {@code [kvproxy]} section: everything the daemon needs that is not protocol-specific.
 *
 * @param port TCP port clients connect to
 * @param bind address the listener binds (127.0.0.1 unless told otherwise)
 * @param threadCount worker (selector) threads; already the core count when {@code cpuAffinity} is on
 * @param cpuAffinity pin worker i to core i
 * @param backlog listen backlog
 * @param recvTimeoutMillis how long a backend may take to answer one request
 * @param connectTimeoutMillis how long a backend connect may take
 * @param idleTimeoutSeconds close a client connection idle this long; 0 means never (memcached's default)
 * @param logPath the log file
 * @param logLevel one of fatal, error, warn, info, debug
 * @param extPath directory holding protocol extension jars
 * @param maxPacketBytes the largest request or reply, in bytes ({@code max_packet} is given in MB)
 * @param failoverThreshold consecutive failures that take a server out of its rings
 * @param failoverIntervalSeconds how often out servers are probed and failure counts acted on
 * @param asyncSize capacity of the asynchronous replication queue
 * @param maxClients client connections accepted at once
 * @param metricsPort the TCP port of the Prometheus {@code /metrics} endpoint, on {@code bind}; 0 for none
 * @param statsPort TCP port (on {@code bind}) that writes twemproxy's stats JSON to whoever connects; 0 means none
 */
public record ProxySettings(
        int port,
        String bind,
        int threadCount,
        boolean cpuAffinity,
        int backlog,
        int recvTimeoutMillis,
        int connectTimeoutMillis,
        int idleTimeoutSeconds,
        Path logPath,
        String logLevel,
        Path extPath,
        int maxPacketBytes,
        int failoverThreshold,
        int failoverIntervalSeconds,
        int asyncSize,
        int maxClients,
        int metricsPort,
        int statsPort) {
}
