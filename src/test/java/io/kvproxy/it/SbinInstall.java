package io.kvproxy.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An install root in a test directory, run through {@code sbin/kvproxy} as an operator runs it: the
 * script and etc/jvm.options are copied (it finds its root from where it lies), the built jars are linked, and its pid file
 * and logs are under {@code log/} there.
 */
final class SbinInstall {

    private final Path root;

    SbinInstall(Path root) throws IOException {
        this.root = root;
        Files.createDirectories(root.resolve("sbin"));
        Files.createDirectories(root.resolve("target"));
        Files.createDirectories(root.resolve("ext"));
        Files.createDirectories(root.resolve("etc"));
        Files.copy(KvproxyProcess.HOME.resolve("sbin/kvproxy"), root.resolve("sbin/kvproxy"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(KvproxyProcess.HOME.resolve("etc/jvm.options"), root.resolve("etc/jvm.options"));
        Files.createSymbolicLink(root.resolve("target/kvproxy.jar"), KvproxyProcess.HOME.resolve("target/kvproxy.jar"));
        Files.createSymbolicLink(root.resolve("ext/memcached.jar"), KvproxyProcess.HOME.resolve("ext/memcached.jar"));
    }

    Path root() {
        return root;
    }

    /** The default instance's pid file (etc/kvproxy.ini). */
    Path pidFile() {
        return pidFile("kvproxy");
    }

    /** The pid file of the instance named after its config file ({@code b} for {@code etc/b.ini}). */
    Path pidFile(String instance) {
        return root.resolve("log/" + instance + ".pid");
    }

    /** Runs {@code sbin/kvproxy args} to completion; exit code and output (stdout and stderr together). */
    KvproxyProcess.Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("sbin/kvproxy").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("sbin/kvproxy " + List.of(args) + " did not exit");
        }
        return new KvproxyProcess.Result(process.exitValue(), text);
    }

    /** The live process the default instance's pid file names, if any. */
    Optional<ProcessHandle> pidFileProcess() throws IOException {
        return pidFileProcess("kvproxy");
    }

    /** The live process the pid file of {@code instance} names, if any. */
    Optional<ProcessHandle> pidFileProcess(String instance) throws IOException {
        Path pidFile = pidFile(instance);
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        String text = Files.readString(pidFile).trim();
        return text.isEmpty() ? Optional.empty() : ProcessHandle.of(Long.parseLong(text)).filter(ProcessHandle::isAlive);
    }

    /** Ends {@code process} (one this test started) with SIGTERM, then SIGKILL; true once it is gone. */
    static boolean end(ProcessHandle process) throws InterruptedException {
        process.destroy();
        if (Await.until(java.time.Duration.ofSeconds(15), () -> !process.isAlive())) {
            return true;
        }
        process.destroyForcibly();
        return Await.until(java.time.Duration.ofSeconds(5), () -> !process.isAlive());
    }
}
