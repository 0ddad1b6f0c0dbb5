package io.kvproxy.loadgen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread of a run: a selector over its connections, sending what the schedule says is due and reading
 * replies, until the send window ends and every request meant for it is sent and answered (or the drain
 * time is up). Between events it
 * waits for the next request of the schedule to fall due: in the selector when that is a millisecond or
 * more away (a reply wakes it), parked when it is sooner (the selector's timeout has only milliseconds).
 * It never spins: the targets share the machine's cores with it, and a spinning generator would take one.
 */
final class LoadWorker implements Runnable {

    private static final long MILLIS = 1_000_000;

    private final Selector selector;
    private final List<LoadConnection> connections = new ArrayList<>();
    private final OpenLoopSchedule schedule;
    private final long sendUntilNanos;
    private final long drainNanos;
    final RunRecorder recorder;

    LoadWorker(OpenLoopSchedule schedule, long sendUntilNanos, long drainNanos, RunRecorder recorder) throws IOException {
        this.selector = Selector.open();
        this.schedule = schedule;
        this.sendUntilNanos = sendUntilNanos;
        this.drainNanos = drainNanos;
        this.recorder = recorder;
    }

    Selector selector() {
        return selector;
    }

    void add(LoadConnection connection) {
        connections.add(connection);
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            close();
        }
    }

    private void loop() throws IOException {
        long drainUntil = sendUntilNanos + drainNanos;
        long lastDue = schedule.dueBy(sendUntilNanos - 1);
        while (true) {
            long now = System.nanoTime();
            boolean sending = now < sendUntilNanos;
            // After the window, the requests meant for it that are still waiting for room go out late.
            long globalDue = sending ? schedule.dueBy(now) : lastDue;
            if (!sending && (done(lastDue) || now >= drainUntil)) {
                for (LoadConnection connection : connections) {
                    connection.abandon(now, lastDue, schedule);
                }
                return;
            }
            for (LoadConnection connection : connections) {
                connection.sendDue(globalDue, schedule);
            }
            if (selector.selectNow() > 0) {
                handleSelected();
                continue;
            }
            long wait = sending ? schedule.intendedNanos(globalDue) - System.nanoTime() : MILLIS;
            if (wait >= MILLIS) {
                // Long enough to block in the selector, which a reply wakes at once.
                if (selector.select(wait / MILLIS) > 0) {
                    handleSelected();
                }
            } else if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }

    private void handleSelected() throws IOException {
        for (SelectionKey key : selector.selectedKeys()) {
            LoadConnection connection = (LoadConnection) key.attachment();
            if (key.isReadable()) {
                connection.read();
            }
            if (key.isValid() && key.isWritable()) {
                connection.flush();
            }
        }
        selector.selectedKeys().clear();
    }

    private boolean done(long globalDue) {
        for (LoadConnection connection : connections) {
            if (!connection.done(globalDue)) {
                return false;
            }
        }
        return true;
    }

    private void close() {
        for (LoadConnection connection : connections) {
            try {
                connection.close();
            } catch (IOException e) {
                System.err.println("loadgen: closing a connection: " + e);
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            System.err.println("loadgen: closing the selector: " + e);
        }
    }
}
