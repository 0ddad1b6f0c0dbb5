package io.kvproxy.net;

import io.kvproxy.route.ServerHealth;
import io.kvproxy.route.Topology;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes failing servers out of their rings and puts them back once they answer. Every {@code
 * failover_interval}: a server in the ring with {@code failover_threshold} consecutive failures is
 * ejected (its keys move to the next servers on each ring it is on); a server out of the ring is probed
 * with a real request of the protocol (memcached: {@code version}) and rejoins only when the answer
 * comes within {@code recv_timeout} — a server that accepts connections but hangs stays out.
 *
 * <p>A server that answers is not simply put back: every worker first connects to it and sends the
 * repair deletes its log holds (keys written to stand-ins while it was out, replicas it did not apply),
 * and only when all have been answered does it rejoin ({@link RejoinGate}). So it never serves a value
 * older than one acknowledged elsewhere during its absence, and no client meets a connection still
 * being opened.
 *
 * <p>Runs on its own thread; it touches workers only through the shared, thread-safe {@link
 * ServerHealth} records, the membership snapshots it replaces, and the workers' task queues.
 */
public final class HealthMonitor implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    private final String pool;
    /** The pool's topology now (a reload replaces it, on this monitor's thread). */
    private final Supplier<Topology> topology;
    /** These three a reload may change ({@link #applySettings}); read and written on this monitor's thread. */
    private int threshold;
    private long intervalMillis;
    private Prober prober;
    private final RejoinGate gate;
    private volatile boolean stopped;
    private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final Clock clock;
    private final OutageReport outages = new OutageReport();

    /** Asks one server whether it can serve. */
    @FunctionalInterface
    public interface Prober {
        /** Null when the server answered a real request well and in time; else why not. */
        String probe(String host, int port);
    }

    /** Lets a server back in only once every worker is ready for it. */
    public interface RejoinGate {
        /** Blocks until every worker has connected to {@code server} and repaired it; false if one could not. */
        boolean prepare(int server);

        /** The rejoin is over, whether the server is in or stays out. */
        void finish(int server);
    }

    /**
     * @param pool the pool's name, for the log
     * @param prober asks an out server whether it answers (see {@link ServerProbe})
     * @param gate lets an answering server back in once every worker is ready for it
     * @param clock the time the log's summaries of out servers are spaced by
     */
    public HealthMonitor(String pool, Supplier<Topology> topology, int threshold, long intervalMillis, Prober prober, RejoinGate gate,
                         Clock clock) {
        this.clock = clock;
        this.pool = pool;
        this.topology = topology;
        this.threshold = threshold;
        this.intervalMillis = intervalMillis;
        this.prober = prober;
        this.gate = gate;
    }

    public void stop() {
        stopped = true;
    }

    /**
     * Runs {@code task} on this monitor's thread, between checks and never during one (a rejoin in
     * progress finishes first): the one thread that changes the pool's routing state, so a reload's new
     * topology and an ejection never race.
     */
    public void execute(Runnable task) {
        tasks.add(task);
    }

    /** A reload changed failover_threshold, failover_interval or the probe's timeouts; call on this monitor's thread. */
    public void applySettings(int threshold, long intervalMillis, Prober prober) {
        this.threshold = threshold;
        this.intervalMillis = intervalMillis;
        this.prober = prober;
    }

    @Override
    public void run() {
        long nextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(intervalMillis);
        while (!stopped) {
            try {
                Runnable task = tasks.poll(Math.max(0, nextCheck - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (task != null) {
                    task.run();
                    continue;
                }
                nextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(intervalMillis);
                check();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("pool {}: health check failed; trying again next interval", pool, e);
            }
        }
    }

    /** One pass: eject the failing, probe the ejected. */
    void check() {
        Topology topology = this.topology.get();
        boolean changed = false;
        for (int i = 0; i < topology.serverCount(); i++) {
            if (!topology.contains(i)) {
                continue;
            }
            ServerHealth health = topology.health(i);
            if (health.isOnline()) {
                int failures = health.consecutiveFailures();
                if (failures >= threshold) {
                    health.recordEjection(System.currentTimeMillis());
                    changed = true;
                    outages.ejected(i, clock.nanoTime());
                    log.warn("pool {}: server {} ejected: {} consecutive failures (failover_threshold {}); it is probed every {} ms"
                            + " and rejoins once it answers", pool, health.address(), failures, threshold, intervalMillis);
                }
            } else {
                String verdict = prober.probe(topology.server(i).host(), topology.server(i).port());
                if (verdict == null) {
                    letIn(topology, i, health);
                } else {
                    stillOut(i, health, verdict);
                }
            }
        }
        if (changed) {
            topology.rebuildRings();
        }
    }

    /** A probe failed: a summary line if one is due, else nothing (a dead server must not flood the log). */
    private void stillOut(int server, ServerHealth health, String verdict) {
        long now = clock.nanoTime();
        if (outages.probeFailed(server, now)) {
            log.warn("pool {}: server {} stays out: {} (out {} s, {} probes failed since the last line about it; the next in a"
                    + " minute at the earliest)", pool, health.address(), verdict, outages.outForSeconds(server, now),
                    outages.failedProbes(server));
            outages.summarized(server);
        }
    }

    /** The server answered: it rejoins once every worker has connected to it and repaired it. */
    private void letIn(Topology topology, int server, ServerHealth health) {
        try {
            if (gate.prepare(server)) {
                health.recordSuccess();
                health.setOnline(true);
                topology.rebuildRings();
                long now = clock.nanoTime();
                log.warn("pool {}: server {} rejoined after {} s out: answered a probe in time, and every worker repaired it", pool,
                        health.address(), outages.outForSeconds(server, now));
                outages.rejoined(server);
            } else {
                stillOut(server, health, "answered a probe, but not every worker could connect to it and repair it in time");
            }
        } finally {
            gate.finish(server);
        }
    }

}
