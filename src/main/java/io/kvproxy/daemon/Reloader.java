package io.kvproxy.daemon;

import io.kvproxy.config.ConfigException;
import io.kvproxy.config.ProxyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the configuration file the daemon was started with, on SIGHUP:
 *
 * <pre>
 *   SIGHUP ─▶ request() ─▶ control thread: reload()
 *     read + validate the whole file (ConfigSource)  ── problems ──▶ refused
 *     ConfigApplier.apply(next)                       ── throws   ──▶ refused (what only a restart
 *                                                                   can change, among others)
 *     generation + 1 ─▶ applied
 *   outcome ─▶ the log (one line, after the changes or problems) and the status file
 * </pre>
 *
 * <p>Threads: reloads run one after the other on one control thread, never on a worker nor on the
 * JVM's signal threads (two quick SIGHUPs would otherwise run two reloads at once). A refused reload
 * changes nothing: the applier keeps the configuration in force.
 *
 * <p>The status file ({@code <pid file>.reload}) tells {@code sbin/kvproxy reload} the outcome. Its first
 * line is {@code reload <attempt> applied generation <g>} or {@code reload <attempt> refused}; then one
 * change (applied) or problem (refused) a line. It is replaced whole by a rename, so a reader never sees
 * half of it, and removed at start so that attempts counted from 1 again are not older than its own.
 */
final class Reloader {

    private static final Logger log = LoggerFactory.getLogger(Reloader.class);

    /** Reads and validates the whole file; the same checks as at start. */
    interface ConfigSource {
        ProxyConfig read() throws ConfigException;
    }

    /** Told of the configuration in force: generation 1 at start, then one more per applied reload. */
    interface GenerationListener {
        void loaded(long generation, Instant loadedAt);
    }

    /**
     * One reload's outcome.
     *
     * @param attempt reloads tried since start, this one included
     * @param applied whether the new configuration is in force
     * @param generation the generation in force afterwards
     * @param lines the changes applied, or the problems that refused it
     */
    record Outcome(long attempt, boolean applied, long generation, List<String> lines) {

        Outcome {
            lines = List.copyOf(lines);
        }

        /** The status file's text. */
        String statusText() {
            StringBuilder text = new StringBuilder("reload ").append(attempt)
                    .append(applied ? " applied generation " + generation : " refused").append('\n');
            lines.forEach(line -> text.append(line).append('\n'));
            return text.toString();
        }
    }

    private final Path file;
    private final ConfigSource source;
    private final ConfigApplier applier;
    private final Optional<Path> statusFile;
    private final GenerationListener listener;
    private final Clock clock;
    private final ExecutorService control = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "kvproxy-control");
        thread.setDaemon(true);
        return thread;
    });
    /** Owned by the control thread (and by the caller of {@link #reload()} in tests). */
    private long generation = 1;
    private long attempts;

    /**
     * @param running the configuration the daemon started with (generation 1)
     * @param statusFile where the outcome is written; empty when the daemon has no pid file
     */
    Reloader(ProxyConfig running, ConfigSource source, ConfigApplier applier, Optional<Path> statusFile,
             GenerationListener listener, Clock clock) {
        this.file = running.file();
        this.source = source;
        this.applier = applier;
        this.statusFile = statusFile;
        this.listener = listener;
        this.clock = clock;
        listener.loaded(generation, clock.instant());
    }

    /** The status file for a pid file: beside it, named after it. */
    static Path statusFileOf(Path pidFile) {
        return pidFile.resolveSibling(pidFile.getFileName() + ".reload");
    }

    /** Removes a status file left by an earlier run, whose attempt numbers this run would not pass. */
    void start() throws IOException {
        if (statusFile.isPresent()) {
            Files.deleteIfExists(statusFile.get());
        }
    }

    /** Queues a reload on the control thread; returns at once (a signal handler calls it). */
    void request() {
        control.execute(this::reloadLogged);
    }

    /** Stops the control thread; a reload under way finishes, queued ones are dropped. */
    void stop() {
        control.shutdownNow();
        if (statusFile.isPresent()) {
            try {
                Files.deleteIfExists(statusFile.get());
            } catch (IOException e) {
                log.warn("could not remove the reload status file {}: {}", statusFile.get(), e.toString());
            }
        }
    }

    private void reloadLogged() {
        try {
            reload();
        } catch (RuntimeException e) {
            // A programming error in an applier must not end the control thread: the next SIGHUP still works.
            log.error("reload of {} failed", file, e);
        }
    }

    /** Runs one reload to its outcome, logs it and writes the status file. */
    Outcome reload() {
        long attempt = ++attempts;
        Outcome outcome;
        try {
            ProxyConfig next = source.read();
            List<String> changes = applier.apply(next);
            generation++;
            Instant loadedAt = clock.instant();
            listener.loaded(generation, loadedAt);
            outcome = new Outcome(attempt, true, generation, changes);
            changes.forEach(change -> log.info("reload {}: {}", attempt, change));
            log.info("reload {} of {} applied: generation {} loaded at {}, {} change(s)", attempt, file, generation,
                    loadedAt, changes.size());
        } catch (ConfigException e) {
            outcome = new Outcome(attempt, false, generation, e.problems());
            e.problems().forEach(problem -> log.error("reload {}: {}", attempt, problem));
            log.error("reload {} of {} refused, nothing changed (generation {} stays in force): {} problem(s)",
                    attempt, file, generation, e.problems().size());
        }
        writeStatus(outcome);
        return outcome;
    }

    private void writeStatus(Outcome outcome) {
        if (statusFile.isEmpty()) {
            return;
        }
        Path target = statusFile.get();
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            Files.writeString(temporary, outcome.statusText());
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // The reload itself stands; sbin/kvproxy reload will say it got no answer.
            log.error("reload {}: could not write the status file {}: {}", outcome.attempt(), target, e.toString());
        }
    }
}
