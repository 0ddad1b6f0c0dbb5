package io.kvproxy.net;

/** Pins worker threads to cores ({@code cpu_affinity=on}); a no-op when off. */
@FunctionalInterface
public interface CpuAffinity {

    CpuAffinity NONE = workerIndex -> { };

    /** Pins the calling thread; failure is logged and the worker runs unpinned. */
    void pin(int workerIndex);
}
