/**
 * The configuration: {@code etc/kvproxy.ini} parsed once, at start, into immutable records
 * ({@link io.kvproxy.config.ProxyConfig} and the records it holds).
 *
 * <p>Why it is a package of its own and works this way:
 * <ul>
 *   <li>The file is validated as a whole before anything starts: no socket is opened and no thread is
 *       started on a config that has a problem, and a bad config yields one
 *       {@link io.kvproxy.config.ConfigException} that lists every problem, each as
 *       {@code FILE:LINE: [section] key: message}, so a file is fixed in one edit, not one per restart.</li>
 *   <li>The records are immutable and hold only checked values, so the rest of the daemon (workers,
 *       rings, replication) reads them from any thread without locks and never re-validates.</li>
 *   <li>Only syntax is checked here, never the world: host names are not resolved and the extension jar
 *       is not opened, so {@code kvproxy -t} answers the same anywhere. The daemon's extension loader
 *       checks the jar and the extension's own settings, and formats its problems with
 *       {@link io.kvproxy.config.ConfigException#problem} and {@link io.kvproxy.config.ProxyConfig#lineOf}
 *       so they read like the loader's.</li>
 * </ul>
 *
 * <p>{@link io.kvproxy.config.ConfigLoader} is the entry point; the readers behind it are package-private.
 *
 * <p>{@link io.kvproxy.config.TwemproxyImport} is the other way in: it writes the INI for a twemproxy
 * (nutcracker) YAML file ({@code kvproxy --import-twemproxy}), keeping every key's placement, and
 * names what it cannot translate. It reads twemproxy's small YAML subset itself
 * ({@code TwemproxyYaml}) and produces text that this package's loader then accepts.
 */
package io.kvproxy.config;
