package io.kvproxy.it;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded schedule of server faults, run on its own thread: at random moments a random healthy master or
 * backup server is hung (SIGSTOP, later SIGCONT) or killed (SIGKILL, later restarted on its port), for a
 * random while. Never every master at once, so some keys always have a server. When the time is up every
 * server is resumed or restarted. The schedule owns the server handles: a restart replaces one.
 */
final class FaultSchedule<S extends ServerProcess<S>> implements Runnable {

    enum State { UP, STOPPED, KILLED }

    private static final class Slot<S extends ServerProcess<S>> {
        final String name;
        final boolean master;
        S server;
        State state = State.UP;
        long recoverAtNanos;

        Slot(String name, boolean master, S server) {
            this.name = name;
            this.master = master;
            this.server = server;
        }
    }

    private final List<Slot<S>> slots = new ArrayList<>();
    private final Random random;
    private final Duration duration;
    private final long startNanos;
    private final List<String> events = new ArrayList<>();
    private int faults;

    FaultSchedule(long seed, List<S> masters, List<S> backups, Duration duration, long startNanos) {
        for (int i = 0; i < masters.size(); i++) {
            slots.add(new Slot<>("master" + (i + 1), true, masters.get(i)));
        }
        for (int i = 0; i < backups.size(); i++) {
            slots.add(new Slot<>("backup" + (i + 1), false, backups.get(i)));
        }
        this.random = new Random(seed);
        this.duration = duration;
        this.startNanos = startNanos;
    }

    @Override
    public void run() {
        long end = System.nanoTime() + duration.toNanos();
        try {
            while (System.nanoTime() - end < 0) {
                recoverDue(false);
                if (random.nextInt(10) < 6) {
                    injectOne();
                }
                // The schedule itself is time: the gaps between faults are what the seed varies.
                Thread.sleep(200 + random.nextInt(900));
            }
        } catch (InterruptedException e) {
            event("interrupted: ending the faults early");
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            event("fault schedule failed: " + e);
        } finally {
            recoverAllNow();
        }
    }

    private void injectOne() throws IOException, InterruptedException {
        Slot<S> slot = slots.get(random.nextInt(slots.size()));
        boolean kill = random.nextInt(100) < 45;
        long downMillis = 300 + random.nextInt(3200);
        synchronized (this) {
            long mastersDown = slots.stream().filter(s -> s.master && s.state != State.UP).count();
            long masters = slots.stream().filter(s -> s.master).count();
            if (slot.state != State.UP || (slot.master && mastersDown + 1 >= masters)) {
                return;
            }
            if (kill) {
                signal("KILL", slot);
                if (!Await.until(Duration.ofSeconds(5), () -> !slot.server.isAlive())) {
                    throw new IllegalStateException(slot.name + " survived SIGKILL");
                }
                slot.server.close();
                slot.state = State.KILLED;
            } else {
                signal("STOP", slot);
                slot.state = State.STOPPED;
            }
            slot.recoverAtNanos = System.nanoTime() + downMillis * 1_000_000;
            faults++;
            event((kill ? "SIGKILL " : "SIGSTOP ") + slot.name + " " + slot.server.address() + " for " + downMillis + " ms");
        }
    }

    private synchronized void recoverDue(boolean all) throws IOException, InterruptedException {
        for (Slot<S> slot : slots) {
            if (slot.state == State.UP || (!all && System.nanoTime() - slot.recoverAtNanos < 0)) {
                continue;
            }
            if (slot.state == State.STOPPED) {
                signal("CONT", slot);
                event("SIGCONT " + slot.name);
            } else {
                slot.server = slot.server.restart();
                event("restarted " + slot.name + " (pid " + slot.server.pid() + ")");
            }
            slot.state = State.UP;
        }
    }

    /** Every server resumed or restarted, however the schedule ended. */
    synchronized void recoverAllNow() {
        try {
            recoverDue(true);
        } catch (IOException | InterruptedException e) {
            event("recovery failed: " + e);
            throw new IllegalStateException("could not bring every server back: " + events, e);
        }
    }

    private static void signal(String signal, Slot<?> slot) throws IOException, InterruptedException {
        int exit = new ProcessBuilder("kill", "-" + signal, Long.toString(slot.server.pid())).start().waitFor();
        if (exit != 0) {
            throw new IOException("kill -" + signal + " " + slot.server.pid() + " exited " + exit);
        }
    }

    private synchronized void event(String what) {
        events.add(String.format("%7.1f s  %s", (System.nanoTime() - startNanos) / 1e9, what));
    }

    /** The current handles, masters first: a restarted server is a new process on the same port. */
    synchronized List<S> servers(boolean master) {
        return slots.stream().filter(s -> s.master == master).map(s -> s.server).toList();
    }

    synchronized int faults() {
        return faults;
    }

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    /** Ends every server (resumed first: a stopped process cannot handle SIGTERM) and checks none is left. */
    synchronized void closeAll() {
        recoverAllNow();
        for (Slot<S> slot : slots) {
            slot.server.close();
            if (slot.server.isAlive()) {
                throw new IllegalStateException(slot.name + " (pid " + slot.server.pid() + ") still running");
            }
        }
    }
}
