package io.kvproxy.daemon;

import io.kvproxy.config.ProxyConfig;
import io.kvproxy.config.ProxySettings;
import java.nio.file.Path;

/**
 * One of the daemons an install can run, one per configuration file, named after the file: {@code
 * etc/b.ini} is instance {@code b}. Its name marks every log line, and its log defaults to {@code
 * log/<name>.log}, so that instances sharing an install share neither a log nor (see {@code
 * sbin/kvproxy}, which names the pid file {@code log/<name>.pid}) a pid file. The shipped {@code
 * etc/kvproxy.ini} is instance {@code kvproxy}, with the files it always had.
 */
record Instance(String name, Path home) {

    /** The instance {@code configFile} starts: its file name without {@code .ini}. */
    static Instance of(Path configFile, Path home) {
        String fileName = configFile.getFileName().toString();
        String name = fileName.endsWith(".ini") && fileName.length() > 4 ? fileName.substring(0, fileName.length() - 4) : fileName;
        return new Instance(name, home);
    }

    /** {@code config} with the log at {@code log/<name>.log} when the file does not set {@code log_path}. */
    ProxyConfig withDefaults(ProxyConfig config) {
        if (config.lineOf("kvproxy", "log_path") > 0) {
            return config;
        }
        ProxySettings proxy = config.proxy();
        ProxySettings named = new ProxySettings(proxy.port(), proxy.bind(), proxy.threadCount(), proxy.cpuAffinity(),
                proxy.backlog(), proxy.recvTimeoutMillis(), proxy.connectTimeoutMillis(), proxy.idleTimeoutSeconds(),
                home.resolve("log").resolve(name + ".log"), proxy.logLevel(), proxy.extPath(), proxy.maxPacketBytes(),
                proxy.failoverThreshold(), proxy.failoverIntervalSeconds(), proxy.asyncSize(), proxy.maxClients(),
                proxy.metricsPort(), proxy.statsPort());
        return new ProxyConfig(config.file(), named, config.pools(), config.keyLines());
    }
}
