package io.kvproxy.daemon;

import io.kvproxy.config.ConfigException;
import io.kvproxy.config.ProxyConfig;
import java.util.List;

/**
 * Makes a running daemon serve a new configuration, called by the {@link Reloader} on its control
 * thread once the new file is valid on its own and changes nothing that only a restart can change.
 */
interface ConfigApplier {

    /**
     * Applies {@code next} in place of the running configuration, or nothing of it.
     *
     * @return one line per change applied, for the log and the reload status file; empty when the file
     *     changed nothing
     * @throws ConfigException with every reason the new file cannot be applied; the running
     *     configuration is then left as it was
     */
    List<String> apply(ProxyConfig next) throws ConfigException;
}
