package io.kvproxy.it;

import java.io.IOException;

/** Signals to processes a test started: STOP and CONT to hang and resume a server, HUP, USR1, KILL... */
final class Signals {

    private Signals() {
    }

    /** Sends signal {@code name} (without the SIG prefix) to {@code pid}; fails when kill does. */
    static void send(String name, long pid) throws IOException, InterruptedException {
        int code = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start().waitFor();
        if (code != 0) {
            throw new IllegalStateException("kill -" + name + " " + pid + " exited with " + code);
        }
    }
}
