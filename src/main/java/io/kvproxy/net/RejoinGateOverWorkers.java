package io.kvproxy.net;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link HealthMonitor.RejoinGate} of one pool over the running workers: asks each, through its task
 * queue, to connect to the pool's server and send its repair deletes, and waits (bounded) until all say
 * ready.
 */
public final class RejoinGateOverWorkers implements HealthMonitor.RejoinGate {

    private static final Logger log = LoggerFactory.getLogger(RejoinGateOverWorkers.class);

    private final List<Worker> workers;
    private final int pool;
    /** A reload may change it, on the health monitor's thread, which is the one that uses the gate. */
    private long timeoutNanos;

    /**
     * @param pool the pool's index
     * @param timeoutNanos how long a worker may take to connect and have its deletes answered
     */
    public RejoinGateOverWorkers(List<Worker> workers, int pool, long timeoutNanos) {
        this.workers = List.copyOf(workers);
        this.pool = pool;
        this.timeoutNanos = timeoutNanos;
    }

    public void setTimeoutNanos(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public boolean prepare(int server) {
        List<CompletableFuture<Boolean>> ready = new ArrayList<>(workers.size());
        for (Worker worker : workers) {
            CompletableFuture<Boolean> future = new CompletableFuture<>();
            worker.prepareRejoin(pool, server, timeoutNanos, future);
            ready.add(future);
        }
        long deadline = System.nanoTime() + timeoutNanos + TimeUnit.SECONDS.toNanos(1);
        boolean all = true;
        for (CompletableFuture<Boolean> future : ready) {
            try {
                all &= future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                log.info("a worker did not answer a rejoin in time (stopping?)");
                all = false;
            } catch (ExecutionException e) {
                throw new IllegalStateException("rejoin preparation failed", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return all;
    }

    @Override
    public void finish(int server) {
        for (Worker worker : workers) {
            worker.finishRejoin(pool);
        }
    }
}
