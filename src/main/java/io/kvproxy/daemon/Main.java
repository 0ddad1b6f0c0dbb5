package io.kvproxy.daemon;

import io.kvproxy.config.ConfigException;
import io.kvproxy.config.ConfigLoader;
import io.kvproxy.config.ProxyConfig;
import io.kvproxy.config.TwemproxyImport;
import io.kvproxy.spi.Protocol;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command line: {@code kvproxy [-t] [-c FILE] [--pid-file FILE]}, or
 * {@code kvproxy --import-twemproxy FILE [--pool NAME]} to translate a twemproxy configuration. Exit
 * codes: 0 success, 1 bad config or failure to start (or nothing translated), 2 bad usage.
 */
public final class Main {

    static final String VERSION = "0.1.0";
    private static final Logger log = LoggerFactory.getLogger(Main.class);
    /** Why the JVM exits, for the shutdown hook; kept when the JVM exits for a cause kvproxy does not see. */
    private static volatile String exitReason = "the JVM is exiting (a signal kvproxy does not handle, or System.exit)";
    private static volatile boolean exiting;

    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code >= 0) {
            System.exit(code);
        }
    }

    /** Runs the command; returns the exit code, or -1 when the daemon is running (and main must not exit). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Path home = Path.of(System.getProperty("kvproxy.home", ".")).toAbsolutePath().normalize();
        Path configFile = home.resolve("etc/kvproxy.ini");
        Path pidFile = null;
        boolean checkOnly = false;
        Path twemproxyFile = null;
        String pool = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--top" -> {
                    if (++i == args.length) {
                        return usage(err, "--top needs the stats port's HOST:PORT");
                    }
                    return top(args[i], i + 1 < args.length && args[i + 1].equals("--once"), out, err);
                }
                case "--import-twemproxy" -> {
                    if (++i == args.length) {
                        return usage(err, "--import-twemproxy needs a file");
                    }
                    twemproxyFile = Path.of(args[i]);
                }
                case "--pool" -> {
                    if (++i == args.length) {
                        return usage(err, "--pool needs a pool name");
                    }
                    pool = args[i];
                }
                case "-t", "--test-conf" -> checkOnly = true;
                case "-c", "--conf-file" -> {
                    if (++i == args.length) {
                        return usage(err, "-c needs a file");
                    }
                    configFile = Path.of(args[i]).toAbsolutePath();
                }
                case "--pid-file" -> {
                    if (++i == args.length) {
                        return usage(err, "--pid-file needs a file");
                    }
                    pidFile = Path.of(args[i]).toAbsolutePath();
                }
                case "-v", "--version" -> {
                    out.println("kvproxy " + VERSION);
                    return 0;
                }
                case "-h", "--help" -> {
                    usage(out, null);
                    return 0;
                }
                default -> {
                    return usage(err, "unknown argument '" + args[i] + "'");
                }
            }
        }
        if (twemproxyFile != null) {
            return importTwemproxy(twemproxyFile, pool, out, err);
        } else if (pool != null) {
            return usage(err, "--pool goes with --import-twemproxy");
        }
        Instance instance = Instance.of(configFile, home);
        ProxyConfig config;
        Extensions extensions = new Extensions();
        List<Protocol> protocols;
        try {
            config = instance.withDefaults(ConfigLoader.load(configFile, home, extensions));
            protocols = extensions.protocols(config);
        } catch (ConfigException e) {
            err.println("kvproxy: configuration file '" + configFile + "' is invalid:");
            e.problems().forEach(problem -> err.println("  " + problem));
            return 1;
        }
        if (checkOnly) {
            out.println("kvproxy: configuration file '" + configFile + "' syntax is ok");
            return 0;
        }
        Path startedFile = configFile;
        // A reloaded file is checked as at start: the loader's checks, each pool's own protocol keys by its
        // extension among them (a jar already loaded is not loaded again, so reloads do not pile up class loaders).
        Reloader.ConfigSource reloadSource = () -> {
            ProxyConfig next = instance.withDefaults(ConfigLoader.load(startedFile, home, extensions));
            extensions.protocols(next);
            return next;
        };
        return serve(instance, config, protocols, extensions, reloadSource, pidFile, out, err);
    }

    /**
     * Prints the kvproxy INI for the pools of a twemproxy file (or the one named) on {@code out}, and
     * what could not be translated on {@code err} (the INI carries it too, as comments). 0 when a pool
     * was translated, 1 when the file cannot be read, is not a valid twemproxy configuration, or no
     * chosen pool can be translated.
     */
    private static int importTwemproxy(Path file, String poolName, PrintStream out, PrintStream err) {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (NoSuchFileException e) {
            err.println("kvproxy: cannot read twemproxy configuration '" + file + "': no such file");
            return 1;
        } catch (IOException e) {
            err.println("kvproxy: cannot read twemproxy configuration '" + file + "': " + e);
            return 1;
        }
        List<TwemproxyImport.PoolTranslation> pools;
        try {
            pools = TwemproxyImport.translate(yaml, file);
        } catch (ConfigException e) {
            err.println("kvproxy: '" + file + "' is not a valid twemproxy configuration:");
            e.problems().forEach(problem -> err.println("  " + problem));
            return 1;
        }
        if (poolName != null) {
            pools = pools.stream().filter(pool -> pool.pool().equals(poolName)).toList();
            if (pools.isEmpty()) {
                err.println("kvproxy: '" + file + "' has no pool named '" + poolName + "'");
                return 1;
            }
        }
        for (TwemproxyImport.PoolTranslation pool : pools) {
            String verdict = pool.ini().isPresent() ? "translated" : "NOT translated";
            err.println("kvproxy: pool " + pool.pool() + ": " + verdict
                    + (pool.notes().isEmpty() ? "" : "; " + (pool.ini().isPresent() ? "notes:" : "because:")));
            pool.notes().forEach(note -> err.println("  " + note.format(file)));
        }
        boolean anyTranslated = pools.stream().anyMatch(pool -> pool.ini().isPresent());
        if (anyTranslated) {
            out.print(TwemproxyImport.render(pools, file));
            out.flush();
        }
        return anyTranslated ? 0 : 1;
    }

    /**
     * {@code sbin/kvproxy top}: every second, the stats port's JSON read afresh and drawn as {@link
     * TopView}'s screen, until interrupted; with {@code once}, one sample and no rates. 1 when the port
     * cannot be read.
     */
    private static int top(String address, boolean once, PrintStream out, PrintStream err) {
        int colon = address.lastIndexOf(':');
        String host = colon > 0 ? address.substring(0, colon) : "127.0.0.1";
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            return usage(err, "--top needs HOST:PORT, got '" + address + "'");
        }
        java.util.Map<String, Object> previous = null;
        long previousNanos = 0;
        while (true) {
            java.util.Map<String, Object> sample;
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(host, port), 2000);
                socket.setSoTimeout(2000);
                sample = io.kvproxy.stats.TopView.parse(new String(socket.getInputStream().readAllBytes(),
                        java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException | IllegalArgumentException e) {
                err.println("kvproxy top: cannot read the stats port " + host + ":" + port + ": " + e.getMessage());
                return 1;
            }
            long now = System.nanoTime();
            String screen = io.kvproxy.stats.TopView.render(previous, sample, (now - previousNanos) / 1e9);
            out.print(once ? screen : "\033[H\033[2J" + screen);
            out.flush();
            if (once) {
                return 0;
            }
            previous = sample;
            previousNanos = now;
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }
    }

    /**
     * Runs the daemon until it is stopped. Every way out is logged with its reason: a stop signal, a
     * fatal error on any thread, every worker having failed, or an exit the JVM started on its own; the
     * shutdown hook then stops the daemon and removes the pid file.
     */
    private static int serve(Instance instance, ProxyConfig config, List<Protocol> protocols, Extensions extensions,
                             Reloader.ConfigSource reloadSource, Path pidFile, PrintStream out, PrintStream err) {
        try {
            Files.createDirectories(config.proxy().logPath().toAbsolutePath().getParent());
        } catch (IOException e) {
            err.println("kvproxy: cannot create the log directory for " + config.proxy().logPath() + ": " + e.getMessage());
            return 1;
        }
        LogSetup.toFile(config.proxy().logPath(), config.proxy().logLevel(), instance.name());
        Daemon daemon = new Daemon(config, protocols, extensions, VERSION);
        try {
            daemon.start();
        } catch (IOException e) {
            String problem = e.getMessage();
            log.error("kvproxy exits: {}", problem);
            err.println("kvproxy: " + problem);
            return 1;
        }
        // Before the pid file: sbin/kvproxy start shows these lines with its "start success".
        for (String line : daemon.unreachableAtStart()) {
            out.println(line);
        }
        out.flush();
        long pid = ProcessHandle.current().pid();
        Reloader reloader = new Reloader(config, reloadSource, daemon,
                Optional.ofNullable(pidFile).map(Reloader::statusFileOf), daemon::configLoaded, Clock.systemUTC());
        try {
            reloader.start();
        } catch (IOException e) {
            err.println("kvproxy: cannot remove the old reload status file beside " + pidFile + ": " + e.getMessage());
            daemon.stop("cannot remove the old reload status file beside " + pidFile + ": " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            exiting = true;
            reloader.stop();
            daemon.stop(exitReason);
            removePidFile(pidFile);
        }, "kvproxy-shutdown"));
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            log.error("fatal error in thread {}", thread.getName(), e);
            exit("fatal error in thread " + thread.getName() + ": " + e, 1);
        });
        // The log is reopened first, so that the reload's outcome goes to the new file.
        ProcessSignals.install(List.of(new ProcessSignals.HangupStep("reopen the log file " + config.proxy().logPath(), LogSetup::reopen),
                        new ProcessSignals.HangupStep("queue a reload of " + config.file(), reloader::request)),
                reason -> exit(reason, 0));
        // Written last: sbin/kvproxy takes the pid file for "started", and may send SIGHUP at once.
        if (pidFile != null) {
            try {
                Files.createDirectories(pidFile.getParent());
                Files.writeString(pidFile, pid + "\n");
            } catch (IOException e) {
                err.println("kvproxy: cannot write pid file " + pidFile + ": " + e.getMessage());
                exit("cannot write pid file " + pidFile + ": " + e.getMessage(), 1);
                return -1;
            }
        }
        out.println("kvproxy " + VERSION + " pid " + pid + " listening on " + config.pools().stream()
                .map(pool -> pool.listenAddress() + " (" + pool.name() + ")").collect(Collectors.joining(", ")));
        out.flush();
        try {
            daemon.awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // The workers end only when stopped, or each after an error it logged.
        exit("every worker stopped after an error (see above)", 1);
        return -1;
    }

    /**
     * Exits with {@code reason} for the shutdown hook's log. A call made while the JVM is already exiting
     * (from a hook, or a worker failing during the stop) returns instead: System.exit would block forever.
     */
    private static void exit(String reason, int code) {
        if (exiting) {
            return;
        }
        exitReason = reason;
        System.exit(code);
    }

    private static void removePidFile(Path pidFile) {
        if (pidFile == null) {
            return;
        }
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            // The control script checks the pid's command line, so a pid file left behind is only stale.
            log.warn("could not remove the pid file {}: {}", pidFile, e.toString());
        }
    }

    private static int usage(PrintStream stream, String problem) {
        if (problem != null) {
            stream.println("kvproxy: " + problem);
        }
        stream.println("usage: kvproxy [-t] [-c FILE] [--pid-file FILE] [-v] [-h]");
        stream.println("       kvproxy --import-twemproxy FILE [--pool NAME]");
        stream.println("       kvproxy --top HOST:PORT [--once]   (a live view of a stats port; sbin/kvproxy top)");
        stream.println("  -t          check the configuration and exit (0: ok, 1: problems listed)");
        stream.println("  -c FILE     configuration file (default: etc/kvproxy.ini under the install root)");
        stream.println("  --pid-file  write the process id there while running");
        stream.println("  --import-twemproxy FILE  print the kvproxy INI equivalent to the pools of a twemproxy");
        stream.println("              (nutcracker) YAML file, one INI per pool; what cannot be translated is");
        stream.println("              listed on stderr and as comments in the INI");
        stream.println("  --pool NAME translate only that pool of the twemproxy file");
        return problem == null ? 0 : 2;
    }
}
