package io.kvproxy.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A program from outside Java (libmemcached's tools, a Python client) run to completion against a
 * server the test started. Fails loudly when the program is not installed: the suite never skips.
 */
final class ExternalProgram {

    private ExternalProgram() {
    }

    /** Runs {@code program args…} for at most {@code timeoutSeconds}; returns its exit code and output (stderr included). */
    static KvproxyProcess.Result run(int timeoutSeconds, String program, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(program.startsWith("/") ? requireExecutable(program) : MemcachedServer.find(program));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        // Output is read after the exit: these programs print a few kilobytes at most, well within a pipe.
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError(command + " did not finish within " + timeoutSeconds + " s");
        }
        return new KvproxyProcess.Result(process.exitValue(),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** SIGTERM to a process the test started, then up to {@code graceSeconds} for it to exit; SIGKILL if it lingers. */
    static void end(Process process, int graceSeconds) {
        process.destroy();
        try {
            if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String requireExecutable(String path) {
        if (!java.nio.file.Files.isExecutable(java.nio.file.Path.of(path))) {
            throw new IllegalStateException(path + " is not installed: run sbin/test, which installs what the tests need");
        }
        return path;
    }
}
