package io.kvproxy.it;

import java.io.IOException;

/** Signals to processes a test started: STOP and CONT to hang and resume a server, HUP, USR1, KILL... */
public final class Signals {

    private Signals() {
    }

    /**
     * Sends signal {@code name} (without the SIG prefix) to {@code pid}; fails when kill does. A STOP
     * returns once the kernel reports the process stopped: a signal is only pending until the target next
     * runs, and a loaded machine may first let it serve what the test sends next.
     */
    public static void send(String name, long pid) throws IOException, InterruptedException {
        int code = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start().waitFor();
        if (code != 0) {
            throw new IllegalStateException("kill -" + name + " " + pid + " exited with " + code);
        }
        if (name.equals("STOP")) {
            awaitStopped(pid);
        }
    }

    /** SIGSTOP, then waits until the kernel reports the process stopped, so that nothing sent next is served. */
    public static void stop(long pid) throws IOException, InterruptedException {
        send("STOP", pid);
    }

    private static void awaitStopped(long pid) throws IOException, InterruptedException {
        java.nio.file.Path stat = java.nio.file.Path.of("/proc/" + pid + "/stat");
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            String text = java.nio.file.Files.readString(stat);
            // The state follows the command name, which is in parentheses: "1234 (memcached) T ...".
            if (text.substring(text.lastIndexOf(')') + 2).startsWith("T")) {
                return;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("process " + pid + " not stopped 5 s after SIGSTOP");
    }
}
