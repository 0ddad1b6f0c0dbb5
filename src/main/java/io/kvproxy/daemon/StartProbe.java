package io.kvproxy.daemon;

import io.kvproxy.config.ServerSpec;
import io.kvproxy.net.Pool;
import io.kvproxy.net.ServerProbe;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * At start, every server of every pool is asked once, as the health monitor asks an out server, so that
 * the log and the terminal say at once which ones kvproxy could not reach; it starts anyway, and each
 * joins once it answers. All are probed at the same time, on short-lived threads of their own, so that a
 * start waits at most one probe's timeout however many servers are down.
 */
final class StartProbe {

    private StartProbe() {
    }

    /**
     * One line per pool some of whose servers did not answer; empty when all did.
     *
     * @param probes the probe for a pool's protocol
     */
    static List<String> unreachable(List<Pool> pools, Function<Protocol, ServerProbe> probes) {
        ExecutorService threads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "kvproxy-start-probe");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<List<CompletableFuture<String>>> verdicts = new ArrayList<>();
            for (Pool pool : pools) {
                Topology topology = pool.topology();
                ServerProbe probe = probes.apply(pool.protocol());
                List<CompletableFuture<String>> ofPool = new ArrayList<>();
                for (int i = 0; i < topology.serverCount(); i++) {
                    ServerSpec server = topology.contains(i) ? topology.server(i) : null;
                    ofPool.add(server == null ? CompletableFuture.completedFuture(null)
                            : CompletableFuture.supplyAsync(() -> probe.probe(server.host(), server.port()), threads));
                }
                verdicts.add(ofPool);
            }
            List<String> lines = new ArrayList<>();
            for (int p = 0; p < pools.size(); p++) {
                Topology topology = pools.get(p).topology();
                List<String> down = new ArrayList<>();
                for (int i = 0; i < topology.serverCount(); i++) {
                    String verdict = verdicts.get(p).get(i).join();
                    if (verdict != null) {
                        down.add(topology.health(i).address() + " (" + verdict + ")");
                    }
                }
                if (!down.isEmpty()) {
                    lines.add("kvproxy: pool [" + pools.get(p).name() + "]: could not reach " + down.size() + " of "
                            + topology.listedCount() + " servers: " + String.join(", ", down)
                            + "; started anyway: each joins once it answers");
                }
            }
            return lines;
        } finally {
            threads.shutdownNow();
        }
    }
}
