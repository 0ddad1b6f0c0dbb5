package io.kvproxy.stats;

import io.kvproxy.route.ServerHealth;
import io.kvproxy.route.Topology;
import io.kvproxy.spi.CommandKind;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.ProtocolCounter;
import io.kvproxy.stats.ServerCounters.PoolField;
import io.kvproxy.stats.ServerCounters.ServerField;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The JSON twemproxy's stats port writes, made from kvproxy's counters: the same fields at every level as
 * nutcracker 0.5.0 (so tools written for it read this unchanged), then kvproxy's own, prefixed
 * {@code kvproxy_}. Pools are keyed by name, servers by their id ({@code id@host:port} when one id names
 * more than one address in the pool). Safe from any thread: it only reads the workers' counters.
 *
 * <pre>
 * {"service":"kvproxy", "source":HOST, "version":V, "uptime":S, "timestamp":S, "total_connections":N, "curr_connections":N,
 *  POOL:{"client_eof":N, ..., "kvproxy_config_generation":N, ..., SERVER_ID:{"server_eof":N, ...}, ...}, ...}
 * </pre>
 */
public final class TwemproxyStats {

    /** One pool as the stats port reports it: its reports, its topology now, each worker's counters. */
    public record PoolSource(String name, ProxyState state, Supplier<Topology> topology, List<ServerCounters> counters) {
    }

    private final String version;
    private final String source;
    private final long startMillis;
    private final LongSupplier totalConnections;
    private final IntSupplier currentConnections;
    private final Supplier<List<PoolSource>> pools;

    /**
     * @param source the host name, as nutcracker gives it
     * @param pools the pools running now (a reload may add or remove some)
     */
    public TwemproxyStats(String version, String source, long startMillis, LongSupplier totalConnections,
                          IntSupplier currentConnections, Supplier<List<PoolSource>> pools) {
        this.version = version;
        this.source = source;
        this.startMillis = startMillis;
        this.totalConnections = totalConnections;
        this.currentConnections = currentConnections;
        this.pools = pools;
    }

    /** The whole report at {@code nowMillis}, one line as nutcracker writes it. */
    public String json(long nowMillis) {
        StringBuilder json = new StringBuilder(1024);
        json.append('{');
        field(json, "service", quoted("kvproxy"));
        field(json, "source", quoted(source));
        field(json, "version", quoted(version));
        field(json, "uptime", (nowMillis - startMillis) / 1000);
        field(json, "timestamp", nowMillis / 1000);
        field(json, "total_connections", totalConnections.getAsLong());
        field(json, "curr_connections", currentConnections.getAsInt());
        for (PoolSource pool : pools.get()) {
            json.append(quoted(pool.name())).append(":{");
            pool(json, pool);
            closeObject(json);
        }
        closeObject(json);
        json.setLength(json.length() - 2);
        return json.toString();
    }

    private static void pool(StringBuilder json, PoolSource pool) {
        Topology topology = pool.topology().get();
        field(json, "client_eof", sum(pool, PoolField.CLIENT_EOF));
        field(json, "client_err", sum(pool, PoolField.CLIENT_ERR));
        field(json, "client_connections", sum(pool, PoolField.CLIENT_CONNECTIONS));
        long ejects = 0;
        for (int i = 0; i < topology.serverCount(); i++) {
            if (topology.contains(i)) {
                ejects += topology.health(i).ejections();
            }
        }
        field(json, "server_ejects", ejects);
        field(json, "forward_error", pool.state().total(Counter.BACKEND_ERRORS));
        field(json, "fragments", pool.state().total(Counter.FRAGMENTS));
        ProxyState.ConfigLoad load = pool.state().configLoad();
        field(json, "kvproxy_config_generation", load.generation());
        field(json, "kvproxy_config_loaded", load.loadedAt().getEpochSecond());
        field(json, "kvproxy_requests", pool.state().total(Counter.REQUESTS));
        for (ProtocolCounter counter : pool.state().protocolCounters()) {
            field(json, counter.proxyName(), pool.state().total(counter));
        }
        field(json, "kvproxy_replication_accepted", pool.state().total(Counter.REPLICATION_ACCEPTED));
        field(json, "kvproxy_replicated", pool.state().total(Counter.REPLICATED));
        field(json, "kvproxy_replication_dropped", pool.state().total(Counter.REPLICATION_DROPPED));
        field(json, "kvproxy_replication_failed", pool.state().total(Counter.REPLICATION_FAILED));
        field(json, "kvproxy_replication_in_flight", pool.state().total(Counter.REPLICATION_IN_FLIGHT));
        field(json, "kvproxy_sync_failed", pool.state().total(Counter.SYNC_FAILED));
        field(json, "kvproxy_repair_pending", pool.state().repairBacklog());
        Map<String, Integer> idUses = new HashMap<>();
        for (int i = 0; i < topology.serverCount(); i++) {
            if (topology.contains(i)) {
                idUses.merge(topology.server(i).id(), 1, Integer::sum);
            }
        }
        for (int i = 0; i < topology.serverCount(); i++) {
            if (!topology.contains(i)) {
                continue;
            }
            String id = topology.server(i).id();
            ServerHealth health = topology.health(i);
            json.append(quoted(idUses.get(id) == 1 ? id : id + "@" + health.address())).append(":{");
            for (ServerField server : ServerField.values()) {
                if (server == ServerField.REQUESTS) {
                    // nutcracker's order: server_ejected_at comes after server_connections.
                    field(json, "server_ejected_at", health.ejectedAtMicros());
                }
                field(json, server.statName(), sum(pool, i, server));
            }
            field(json, "kvproxy_address", quoted(health.address()));
            field(json, "kvproxy_online", health.isOnline() ? 1 : 0);
            field(json, "kvproxy_failures", health.failures());
            LatencySnapshot latency = new LatencySnapshot();
            for (CommandKind kind : CommandKind.values()) {
                pool.state().timings().addLatency(health.address(), kind, latency);
            }
            field(json, "kvproxy_latency_p50_us", latency.percentileMicros(0.50));
            field(json, "kvproxy_latency_p99_us", latency.percentileMicros(0.99));
            field(json, "kvproxy_latency_p999_us", latency.percentileMicros(0.999));
            closeObject(json);
        }
    }

    private static long sum(PoolSource pool, PoolField field) {
        long sum = 0;
        for (ServerCounters worker : pool.counters()) {
            sum += worker.get(field);
        }
        return sum;
    }

    private static long sum(PoolSource pool, int server, ServerField field) {
        long sum = 0;
        for (ServerCounters worker : pool.counters()) {
            sum += worker.get(server, field);
        }
        return sum;
    }

    private static void field(StringBuilder json, String name, Object value) {
        json.append(quoted(name)).append(':').append(value).append(", ");
    }

    /** Replaces the trailing ", " of the last field (if any) with the closing brace, then a separator for what follows. */
    private static void closeObject(StringBuilder json) {
        if (json.length() >= 2 && json.charAt(json.length() - 2) == ',') {
            json.setLength(json.length() - 2);
        }
        json.append("}, ");
    }

    /** A JSON string: names and addresses come from the config, so quotes, backslashes and controls are escaped. */
    static String quoted(String text) {
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c < 0x20) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
