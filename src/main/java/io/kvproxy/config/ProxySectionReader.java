package io.kvproxy.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Reads the {@code [kvproxy]} section into {@link ProxySettings}: every key has a default, so a missing
 * section is a valid one. The defaults here are the ones documented in the shipped {@code etc/kvproxy.ini}.
 */
final class ProxySectionReader {

    static final String SECTION = "kvproxy";

    private static final Set<String> KEYS = Set.of(
            "port", "bind", "thread_count", "cpu_affinity", "backlog", "recv_timeout", "connect_timeout",
            "idle_timeout", "log_path", "log_level", "ext_path", "max_packet", "failover_threshold",
            "failover_interval", "async_size", "max_clients", "metrics_port", "stats_port");

    private static final List<String> LOG_LEVELS = List.of("fatal", "error", "warn", "info", "debug");
    private static final int NO_BOUND = Integer.MAX_VALUE;
    private static final int BYTES_PER_MB = 1024 * 1024;

    private ProxySectionReader() {
    }

    /**
     * @param section the {@code [kvproxy]} section, or an empty one when the file has none
     * @param installRoot what relative paths are relative to
     * @param availableCores worker count when {@code cpu_affinity} is on (one pinned worker per core)
     */
    static ProxySettings read(IniFile.Section section, Path installRoot, int availableCores, Problems problems) {
        SectionReader values = new SectionReader(section, KEYS, problems);
        int port = values.integer("port", 55669, 1, 65535);
        String bind = bindAddress(values);
        int configuredThreads = values.integer("thread_count", 2, 1, 1024); // checked even when ignored
        boolean cpuAffinity = values.flag("cpu_affinity", false);
        int backlog = values.integer("backlog", 1024, 1, NO_BOUND);
        int recvTimeoutMillis = values.integer("recv_timeout", 100, 1, NO_BOUND);
        int connectTimeoutMillis = values.integer("connect_timeout", 1000, 1, NO_BOUND);
        int idleTimeoutSeconds = values.integer("idle_timeout", 0, 0, NO_BOUND);
        Path logPath = values.path("log_path", "log/kvproxy.log", installRoot);
        String logLevel = values.choice("log_level", "warn", LOG_LEVELS);
        Path extPath = values.path("ext_path", "ext/", installRoot);
        int maxPacketBytes = values.integer("max_packet", 1, 1, 128) * BYTES_PER_MB;
        int failoverThreshold = values.integer("failover_threshold", 2, 1, NO_BOUND);
        int failoverIntervalSeconds = values.integer("failover_interval", 2, 1, NO_BOUND);
        int asyncSize = values.integer("async_size", 50000, 1, NO_BOUND);
        int maxClients = values.integer("max_clients", 10000, 1, NO_BOUND);
        int metricsPort = values.integer("metrics_port", 0, 0, 65535);
        // Off unless asked for: twemproxy's 22222 would collide between instances on one host.
        int statsPort = values.integer("stats_port", 0, 0, 65535);
        if (statsPort != 0 && statsPort == port) {
            values.problem("stats_port", "must differ from port (" + port + ")");
        }
        if (statsPort != 0 && statsPort == metricsPort) {
            values.problem("stats_port", "must differ from metrics_port (" + metricsPort + ")");
        }
        return new ProxySettings(port, bind, cpuAffinity ? availableCores : configuredThreads, cpuAffinity, backlog,
                recvTimeoutMillis, connectTimeoutMillis, idleTimeoutSeconds, logPath, logLevel, extPath,
                maxPacketBytes, failoverThreshold, failoverIntervalSeconds, asyncSize, maxClients, metricsPort, statsPort);
    }

    /** An IPv4 or IPv6 literal (brackets optional) or a host name, kept unresolved; see {@link HostSyntax}. */
    private static String bindAddress(SectionReader values) {
        String bind = values.string("bind", "127.0.0.1");
        String unbracketed = bind.length() >= 2 && bind.startsWith("[") && bind.endsWith("]") ? bind.substring(1, bind.length() - 1) : bind;
        if (HostSyntax.isIpv6Literal(unbracketed) || HostSyntax.isIpv4OrHostName(bind)) {
            return unbracketed;
        }
        values.problem("bind", "expected an IP address or host name, got \"" + bind + "\"");
        return "127.0.0.1";
    }
}
