package io.kvproxy.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting on a condition, never on a fixed sleep. */
final class Await {

    private Await() {
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes; returns whether it held. */
    static boolean until(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(10);
        }
    }
}
