package io.kvproxy.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.config.ConfigException;
import io.kvproxy.config.ConfigLoader;
import io.kvproxy.config.MemcachedKeysCheck;
import io.kvproxy.config.ProxyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reload frame: an invalid file, and one the applier refuses, change nothing and say why with every
 * problem; an applied one bumps the generation; the status file says so for {@code sbin/kvproxy reload}.
 * The applier is scripted here (the daemon's own is proven by ReloadIT); its rules for keys only a
 * restart can change are checked on the daemon itself.
 */
@Timeout(10)
class ReloaderTest {

    private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant LATER = Instant.parse("2026-12-01T11:30:00Z");

    @TempDir
    Path dir;
    Path file;
    Path statusFile;
    final List<String> generations = new ArrayList<>();
    /** What the scripted applier was given, and applies: the log level, as a change line; recv_timeout 250 it refuses. */
    final List<ProxyConfig> applied = new ArrayList<>();
    ProxyConfig running;

    private List<String> apply(ProxyConfig next) throws ConfigException {
        if (next.proxy().recvTimeoutMillis() == 250) {
            throw new ConfigException(List.of(next.file() + ":4: [kvproxy] recv_timeout: refused by the applier"));
        }
        List<String> changes = new ArrayList<>();
        if (!next.proxy().logLevel().equals(running.proxy().logLevel())) {
            changes.add("log_level " + running.proxy().logLevel() + " -> " + next.proxy().logLevel());
        }
        applied.add(next);
        running = next;
        return changes;
    }
    final MutableClock clock = new MutableClock(START);
    Reloader reloader;

    @BeforeEach
    void startWithAValidFile() throws Exception {
        file = dir.resolve("etc/b.ini");
        Files.createDirectories(file.getParent());
        write("warn", "2", "100");
        ProxyConfig started = load();
        statusFile = Reloader.statusFileOf(dir.resolve("log/b.pid"));
        Files.createDirectories(statusFile.getParent());
        Files.writeString(statusFile, "reload 7 applied generation 8\n");
        running = started;
        reloader = new Reloader(started, this::load, this::apply, Optional.of(statusFile),
                (generation, at) -> generations.add(generation + "@" + at), clock);
        reloader.start();
    }

    @Test
    void startPublishesGenerationOneAndRemovesAnEarlierRunsStatusFile() {
        assertEquals(List.of("1@" + START), generations);
        assertFalse(Files.exists(statusFile), "an earlier run's attempt 7 would hide this run's attempts 1 to 7");
    }

    @Test
    void aFileMadeInvalidIsRefusedWithEveryProblemAndChangesNothing() throws Exception {
        Files.writeString(file, Files.readString(file).replace("port = 55669", "port = 70000")
                .replace("log_level = warn", "log_level = loud") + "\n[kvproxy]\nbogus = 1\n");
        Reloader.Outcome outcome = reloader.reload();
        assertFalse(outcome.applied());
        assertEquals(1, outcome.generation());
        assertTrue(outcome.lines().size() >= 2, outcome.lines().toString());
        assertTrue(outcome.lines().stream().anyMatch(line -> line.startsWith(file + ":") && line.contains("port")), outcome.lines().toString());
        assertTrue(outcome.lines().stream().anyMatch(line -> line.contains("log_level")), outcome.lines().toString());
        String status = Files.readString(statusFile);
        assertTrue(status.startsWith("reload 1 refused\n"), status);
        assertEquals(outcome.lines(), status.lines().skip(1).toList());
        assertEquals(List.of("1@" + START), generations);

        // Nothing changed: the file put right again differs in nothing from what runs.
        write("warn", "2", "100");
        Reloader.Outcome fixed = reloader.reload();
        assertTrue(fixed.applied(), fixed.lines().toString());
        assertEquals(List.of(), fixed.lines());
    }

    @Test
    void aKeyOnlyARestartCanChangeIsRefusedByTheDaemonWithItsLineAndAMessageToRestart() throws Exception {
        ProxyConfig started = load();
        write("warn", "4", "100");
        List<String> problems = Daemon.restartOnly(started.proxy(), load());
        assertEquals(List.of(file + ":3: [kvproxy] thread_count: 2 → 4 cannot change while kvproxy runs; restart it"
                + " (sbin/kvproxy restart -c " + file + ")"), problems);
    }

    @Test
    void aChangeTheApplierRefusesChangesNothing() throws Exception {
        write("info", "2", "250");
        Reloader.Outcome outcome = reloader.reload();
        assertFalse(outcome.applied());
        assertEquals(List.of(file + ":4: [kvproxy] recv_timeout: refused by the applier"), outcome.lines());
        assertEquals("reload 1 refused\n" + outcome.lines().get(0) + "\n", Files.readString(statusFile));
        assertEquals(1, generations.size());
        assertEquals(List.of(), applied);
    }

    @Test
    void aValidChangeIsAppliedAndBumpsTheGeneration() throws Exception {
        clock.now = LATER;
        // Lines move (a comment on top): a configuration is compared by value, not by where keys stand.
        Files.writeString(file, "; moved\n\n" + Files.readString(file).replace("log_level = warn", "log_level = info"));
        Reloader.Outcome outcome = reloader.reload();
        assertTrue(outcome.applied(), outcome.lines().toString());
        assertEquals(2, outcome.generation());
        assertEquals(List.of("log_level warn -> info"), outcome.lines());
        assertEquals("reload 1 applied generation 2\nlog_level warn -> info\n", Files.readString(statusFile));
        assertEquals(List.of("1@" + START, "2@" + LATER), generations);

        // The applied file is the one the next reload is compared with.
        write("debug", "2", "100");
        Reloader.Outcome next = reloader.reload();
        assertEquals(List.of("log_level info -> debug"), next.lines());
        assertEquals(3, next.generation());
        assertTrue(Files.readString(statusFile).startsWith("reload 2 applied generation 3\n"));
    }

    private void write(String logLevel, String threadCount, String recvTimeout) throws IOException {
        Files.writeString(file, String.join("\n",
                "[kvproxy]",
                "port = 55669",
                "thread_count = " + threadCount,
                "recv_timeout = " + recvTimeout,
                "log_level = " + logLevel,
                "",
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                "",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"",
                ""));
    }

    private ProxyConfig load() throws ConfigException {
        return ConfigLoader.load(file, dir, MemcachedKeysCheck.INSTANCE);
    }

    /** A wall clock the test moves. */
    private static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException("a fixed UTC clock");
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
