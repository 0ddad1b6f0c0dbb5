package io.kvproxy.daemon;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import io.kvproxy.net.CpuAffinity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cpu_affinity=on}: pins worker i to core i with {@code sched_setaffinity(0, …)}, where pid 0 means
 * the calling thread. Pinning that fails is logged and the worker runs unpinned: a proxy that serves
 * unpinned is better than one that refuses to start.
 */
final class LinuxCpuAffinity implements CpuAffinity {

    private static final Logger log = LoggerFactory.getLogger(LinuxCpuAffinity.class);

    /** The libc call, bound by JNA. */
    interface LibC extends Library {
        int sched_setaffinity(int pid, int cpusetsize, long[] mask) throws LastErrorException;
    }

    private final int cores;

    LinuxCpuAffinity(int cores) {
        this.cores = cores;
    }

    @Override
    public void pin(int workerIndex) {
        int core = workerIndex % cores;
        try {
            LibC libc = Native.load("c", LibC.class);
            long[] mask = new long[(cores + 63) / 64];
            mask[core / 64] |= 1L << (core % 64);
            libc.sched_setaffinity(0, mask.length * Long.BYTES, mask);
            log.info("worker {} pinned to core {}", workerIndex, core);
        } catch (LastErrorException | UnsatisfiedLinkError | NoClassDefFoundError e) {
            log.warn("worker {}: could not pin to core {} ({}); running unpinned", workerIndex, core, e.getMessage());
        }
    }
}
