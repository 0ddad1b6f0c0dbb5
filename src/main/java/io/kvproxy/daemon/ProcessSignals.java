package io.kvproxy.daemon;

import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The signals an operator sends the daemon, each handled here rather than left to the JVM's default:
 * SIGTERM and SIGINT stop it (through the shutdown hook, which logs why and what was left undone);
 * SIGHUP runs the hangup steps (reopen the log file, so that logrotate's move or delete works, then
 * queue a configuration reload);
 * SIGUSR1 and SIGUSR2 are logged and otherwise ignored — by default the first ends the JVM without a
 * word and the second is the JVM's thread-suspend signal, which crashes it when sent from outside.
 *
 * <p>The JVM runs each handler on a thread of its own, started for that signal; the steps must be safe
 * to run beside the workers (logback's appender takes its own lock).
 *
 * <p>A signal ignored when the JVM started (SIGHUP under {@code nohup}, SIGINT in a background job)
 * cannot be handled at all: the JVM leaves it ignored. That is logged, so that an operator whose
 * SIGHUP does nothing knows why; {@code sbin/kvproxy} starts the daemon with them at their default.
 */
final class ProcessSignals {

    private static final Logger log = LoggerFactory.getLogger(ProcessSignals.class);

    /** One thing SIGHUP does; a failed step is logged and the next still runs. */
    record HangupStep(String what, Action action) {
    }

    /** A hangup step's work. */
    interface Action {
        void run() throws Exception;
    }

    private ProcessSignals() {
    }

    /**
     * Installs the handlers.
     *
     * @param hangupSteps what SIGHUP does, in order
     * @param stop asked to stop the daemon, with the reason
     */
    static void install(List<HangupStep> hangupSteps, Consumer<String> stop) {
        for (String name : List.of("TERM", "INT")) {
            handle(name, signal -> {
                log.info("SIG{} received: stopping", name);
                stop.accept("SIG" + name + " received");
            });
        }
        handle("HUP", signal -> hangup(hangupSteps));
        for (String name : List.of("USR1", "USR2")) {
            handle(name, signal -> log.info("SIG{} received: ignored (kvproxy gives it no meaning)", name));
        }
    }

    /** Runs every step in order; one that fails is logged and does not keep the next from running. */
    static void hangup(List<HangupStep> steps) {
        log.info("SIGHUP received: {} step(s)", steps.size());
        for (HangupStep step : steps) {
            try {
                step.action().run();
                log.info("SIGHUP: {}: done", step.what());
            } catch (Exception e) {
                log.error("SIGHUP: {} failed: {}", step.what(), e.toString());
            }
        }
    }

    private static void handle(String name, SignalHandler handler) {
        try {
            SignalHandler previous = Signal.handle(new Signal(name), handler);
            if (previous == SignalHandler.SIG_IGN) {
                log.warn("SIG{} was ignored when kvproxy started (nohup, or a background job) and stays ignored;"
                        + " start kvproxy with sbin/kvproxy for it to work", name);
            }
        } catch (IllegalArgumentException e) {
            log.warn("SIG{} cannot be handled in this JVM ({}); it keeps the JVM's meaning", name, e.getMessage());
        }
    }
}
