package io.kvproxy.net;

/** Monotonic time, injectable so that timeouts can be tested without sleeping. */
@FunctionalInterface
public interface Clock {

    Clock SYSTEM = System::nanoTime;

    long nanoTime();
}
