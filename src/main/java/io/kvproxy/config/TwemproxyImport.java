package io.kvproxy.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Translates a twemproxy (nutcracker) configuration into kvproxy INI, one INI per pool since a kvproxy
 * process serves one pool. Pure: YAML text in, INI text and notes out; the command line
 * ({@code kvproxy --import-twemproxy FILE}) does the reading and printing.
 *
 * <pre>
 *   nutcracker.yml ──TwemproxyYaml──▶ pools (directives, servers, lines)
 *                  ──translate──────▶ per pool: [kvproxy] + [memcached] or [redis] + [pool] INI text, notes
 * </pre>
 *
 * What must not change is placement: a server's twemproxy name (given, or twemproxy's default: the
 * host for port 11211, else host:port) becomes its kvproxy id, and hash, distribution, hash_tag and
 * weights are copied, so every key stays on its server. A pool that cannot keep its placement (names
 * or a hash tag kvproxy cannot hold, unix sockets) is not translated, and its notes say why. A Redis pool
 * ({@code redis: true}) becomes a pool of the Redis extension, its {@code redis_auth} and {@code redis_db} kept.
 * Everything else twemproxy has and kvproxy does differently is translated as closely as it can be
 * and named in a note. A file twemproxy itself would refuse is refused with every problem at once.
 */
public final class TwemproxyImport {

    /**
     * Something of the pool that kvproxy does not do, or does differently.
     *
     * @param line line in the twemproxy file, 0 when the note is about something missing there
     * @param directive the twemproxy directive, or null for the whole pool
     */
    public record Note(int line, String pool, String directive, String message) {

        /** {@code FILE:LINE: [pool] directive: message}, as kvproxy reports config problems. */
        public String format(Path source) {
            return ConfigException.problem(source, line, pool, directive, message);
        }

        /** As an INI comment: {@code ;   line 12: timeout: message}. */
        String comment() {
            return ";   " + (line > 0 ? "line " + line + ": " : "") + (directive == null ? "" : directive + ": ") + message;
        }
    }

    /**
     * One pool's translation.
     *
     * @param ini the kvproxy INI of this pool alone; empty when the pool cannot be translated ({@code
     *     notes} say why)
     * @param sections what that INI is made of, for a file of several pools; empty with {@code ini}
     */
    public record PoolTranslation(String pool, int line, Optional<String> ini, Optional<Sections> sections, List<Note> notes) {

        public PoolTranslation {
            notes = List.copyOf(notes);
        }
    }

    /**
     * A translated pool's INI in parts.
     *
     * @param proxyKeys {@code [kvproxy]} keys, {@code bind} and {@code port} among them
     * @param poolLines the pool section's lines but its name and {@code listen}
     * @param cluster the name of its cluster section, as the pool's {@code hosts} names it
     * @param clusterLines the cluster section's lines
     */
    public record Sections(Map<String, String> proxyKeys, List<String> poolLines, String cluster, List<String> clusterLines) {

        public Sections {
            proxyKeys = Collections.unmodifiableMap(new LinkedHashMap<>(proxyKeys));
            poolLines = List.copyOf(poolLines);
            clusterLines = List.copyOf(clusterLines);
        }
    }

    static final List<String> HASHES = List.of("one_at_a_time", "md5", "crc16", "crc32", "crc32a",
            "fnv1_64", "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins");
    static final List<String> DISTRIBUTIONS = List.of("ketama", "modula", "random");
    private static final Set<String> KNOWN = Set.of("listen", "hash", "hash_tag", "distribution", "timeout",
            "backlog", "client_connections", "redis", "redis_auth", "redis_db", "preconnect", "auto_eject_hosts",
            "server_connections", "server_retry_timeout", "server_failure_limit", "tcpkeepalive", "reuseport",
            TwemproxyYaml.SERVERS);
    static final Pattern DIGITS = Pattern.compile("[0-9]{1,10}");
    private static final Pattern SECTION_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    private TwemproxyImport() {
    }

    /**
     * Translates every pool of {@code yaml}, in file order.
     *
     * @param source the file's name, for messages and the INI's header
     * @throws ConfigException when the file is not a configuration twemproxy would accept, listing every problem
     */
    public static List<PoolTranslation> translate(String yaml, Path source) throws ConfigException {
        Problems problems = new Problems(source);
        List<TwemproxyYaml.Problem> shape = new ArrayList<>();
        List<TwemproxyYaml.Pool> pools = TwemproxyYaml.read(yaml, shape);
        shape.forEach(problem -> problems.add(problem.line(), problem.pool(), problem.directive(), problem.message()));
        List<PoolTranslation> translations = new ArrayList<>();
        Map<String, String> listens = new HashMap<>();
        for (TwemproxyYaml.Pool pool : pools) {
            translations.add(new PoolTranslator(pool, source, problems).translate());
            TwemproxyYaml.Scalar listen = pool.directives().get("listen");
            String other = listen == null ? null : listens.putIfAbsent(listen.value(), pool.name());
            if (other != null) {
                problems.add(listen.line(), pool.name(), "listen", "the same address as pool \"" + other + "\"");
            }
        }
        problems.throwIfAny();
        return List.copyOf(translations);
    }

    /**
     * What {@code kvproxy --import-twemproxy} prints: one INI file. A single pool comes out as its own
     * INI; several become one file with a pool section each (named after the twemproxy pool, with its
     * {@code listen}) and a cluster section each. {@code [kvproxy]} keys are one set for the whole
     * process: the first translated pool's are taken, and a pool whose values differ says so in a comment.
     * Pools not translated appear as comments.
     */
    public static String render(List<PoolTranslation> pools, Path source) {
        List<PoolTranslation> translated = pools.stream().filter(pool -> pool.ini().isPresent()).toList();
        StringBuilder text = new StringBuilder();
        if (translated.size() == 1 && pools.size() == 1) {
            return translated.get(0).ini().get();
        }
        text.append("; kvproxy configuration for the ").append(pools.size()).append(" twemproxy pools of ")
                .append(source.getFileName()).append(",\n")
                .append("; written by kvproxy --import-twemproxy. Check it with: kvproxy -t -c FILE\n")
                .append(";\n; Each pool keeps its listen address; its servers keep their twemproxy names as ids, and\n")
                .append("; hash, distribution, hash_tag and weights are the pool's: kvproxy places every key on the\n")
                .append("; server nutcracker placed it on.\n");
        for (PoolTranslation pool : pools) {
            if (pool.ini().isEmpty()) {
                text.append(";\n; twemproxy pool \"").append(pool.pool()).append("\" (").append(source.getFileName())
                        .append(", line ").append(pool.line()).append(") cannot be translated:\n");
                pool.notes().forEach(note -> text.append(note.comment()).append('\n'));
            } else if (!pool.notes().isEmpty()) {
                text.append(";\n; Pool \"").append(pool.pool()).append("\": not translated, or different in kvproxy:\n");
                pool.notes().forEach(note -> text.append(note.comment()).append('\n'));
            }
        }
        if (translated.isEmpty()) {
            return text.toString();
        }
        Map<String, String> proxyKeys = new LinkedHashMap<>(translated.get(0).sections().orElseThrow().proxyKeys());
        proxyKeys.remove("bind");
        proxyKeys.remove("port");
        for (PoolTranslation pool : translated.subList(1, translated.size())) {
            Map<String, String> own = pool.sections().orElseThrow().proxyKeys();
            for (Map.Entry<String, String> key : own.entrySet()) {
                if (!key.getKey().equals("bind") && !key.getKey().equals("port") && !key.getValue().equals(proxyKeys.get(key.getKey()))) {
                    text.append(";\n; Pool \"").append(pool.pool()).append("\" has ").append(key.getKey()).append(" = ")
                            .append(key.getValue()).append(": kvproxy has one value for every pool, pool \"")
                            .append(translated.get(0).pool()).append("\"'s (").append(proxyKeys.getOrDefault(key.getKey(), "the default"))
                            .append(")\n");
                }
            }
        }
        text.append("\n[kvproxy]\n");
        proxyKeys.forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
        Set<String> names = new HashSet<>(Set.of("kvproxy"));
        for (PoolTranslation pool : translated) {
            Sections sections = pool.sections().orElseThrow();
            String name = unique(sectionName(pool.pool()), names);
            String cluster = unique(name + "_servers", names);
            text.append("\n[").append(name).append("]\n");
            String host = sections.proxyKeys().getOrDefault("bind", "127.0.0.1");
            text.append("listen = ").append(host.contains(":") ? "[" + host + "]" : host).append(':')
                    .append(sections.proxyKeys().getOrDefault("port", "55669")).append('\n');
            for (String line : sections.poolLines()) {
                text.append(line.equals("hosts = " + sections.cluster()) ? "hosts = " + cluster : line).append('\n');
            }
            text.append("\n; host:port = \"twemproxy name:weight\"\n");
            text.append('[').append(cluster).append("]\n");
            sections.clusterLines().forEach(line -> text.append(line).append('\n'));
        }
        return text.toString();
    }

    /** A pool's name as an INI section name. */
    private static String sectionName(String pool) {
        return SECTION_NAME.matcher(pool).matches() ? pool : pool.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    /** {@code name}, or it with a number after it, not yet in {@code taken} (which it joins). */
    private static String unique(String name, Set<String> taken) {
        String candidate = name;
        for (int i = 2; !taken.add(candidate); i++) {
            candidate = name + "_" + i;
        }
        return candidate;
    }

    /** One pool: checks its values as twemproxy would and writes the three INI sections. */
    private static final class PoolTranslator {
        private final TwemproxyYaml.Pool pool;
        private final Path source;
        private final Problems problems;
        private final Map<String, String> proxyKeys = new LinkedHashMap<>();
        private final List<String> extensionLines = new ArrayList<>();
        private final List<String> clusterLines = new ArrayList<>();
        private final List<Note> notes = new ArrayList<>();
        private final List<Note> refusals = new ArrayList<>();

        PoolTranslator(TwemproxyYaml.Pool pool, Path source, Problems problems) {
            this.pool = pool;
            this.source = source;
            this.problems = problems;
        }

        PoolTranslation translate() {
            for (Map.Entry<String, TwemproxyYaml.Scalar> directive : pool.directives().entrySet()) {
                if (!KNOWN.contains(directive.getKey())) {
                    note(directive.getValue().line(), directive.getKey(), "not a twemproxy 0.5 directive: not translated");
                }
            }
            listen();
            placement();
            timeouts();
            connections();
            servers();
            Comparator<Note> fileOrder = Comparator.comparingInt(note -> note.line() > 0 ? note.line() : Integer.MAX_VALUE);
            if (!refusals.isEmpty()) {
                refusals.sort(fileOrder);
                return new PoolTranslation(pool.name(), pool.line(), Optional.empty(), Optional.empty(), refusals);
            }
            notes.sort(fileOrder);
            return new PoolTranslation(pool.name(), pool.line(), Optional.of(ini()),
                    Optional.of(new Sections(proxyKeys, extensionLines, clusterSection(), clusterLines)), notes);
        }

        private void listen() {
            TwemproxyYaml.Scalar listen = value("listen");
            if (listen == null) {
                problems.add(pool.line(), pool.name(), "listen", "missing (twemproxy requires it)");
                return;
            }
            String address = listen.value();
            if (address.startsWith("/")) {
                note(listen.line(), "listen", "a unix socket: kvproxy listens on TCP only; bind and port keep their defaults (127.0.0.1:55669)");
                return;
            }
            int colon = address.lastIndexOf(':');
            String port = colon < 0 ? "" : address.substring(colon + 1);
            if (!DIGITS.matcher(port).matches() || Long.parseLong(port) < 1 || Long.parseLong(port) > 65535) {
                problems.add(listen.line(), pool.name(), "listen", "expected host:port with a port in 1..65535, got \"" + address + "\"");
                return;
            }
            String host = unbracketed(address.substring(0, colon));
            if (!HostSyntax.isIpv4OrHostName(host) && !HostSyntax.isIpv6Literal(host)) {
                note(listen.line(), "listen", "\"" + host + "\" is not an address kvproxy can bind: bind keeps its default (127.0.0.1)");
            } else {
                proxyKeys.put("bind", host);
            }
            proxyKeys.put("port", port);
        }

        /** {@code redis: true}: the pool is served by the Redis extension, in a {@code [redis]} section. */
        private boolean redis() {
            TwemproxyYaml.Scalar redis = value("redis");
            return redis != null && redis.value().equals("true");
        }

        private void placement() {
            extensionLines.add(redis() ? "extension = redis.jar" : "extension = memcached.jar");
            extensionLines.add("hosts = " + clusterSection());
            TwemproxyYaml.Scalar hash = value("hash");
            if (hash == null) {
                extensionLines.add("; twemproxy's default hash (kvproxy's own default is md5)");
                extensionLines.add("hash = fnv1a_64");
            } else if (HASHES.contains(hash.value())) {
                extensionLines.add("hash = " + hash.value());
            } else {
                problems.add(hash.line(), pool.name(), "hash", "\"" + hash.value() + "\" is not one of twemproxy's hashes: " + String.join(", ", HASHES));
            }
            TwemproxyYaml.Scalar distribution = value("distribution");
            if (distribution == null) {
                extensionLines.add("distribution = ketama");
            } else if (DISTRIBUTIONS.contains(distribution.value())) {
                extensionLines.add("distribution = " + distribution.value());
            } else {
                problems.add(distribution.line(), pool.name(), "distribution",
                        "\"" + distribution.value() + "\" is not ketama, modula or random");
            }
            TwemproxyYaml.Scalar tag = value("hash_tag");
            if (tag != null) {
                String characters = tag.value();
                if (characters.getBytes(StandardCharsets.UTF_8).length != 2) {
                    problems.add(tag.line(), pool.name(), "hash_tag", "expected two characters, got \"" + characters + "\"");
                } else if (characters.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                    refuse(tag.line(), "hash_tag", "\"" + characters + "\": kvproxy takes two printable ASCII characters, "
                            + "so keys holding these would be placed differently");
                } else {
                    extensionLines.add("hash_tag = \"" + characters + "\"");
                }
            }
            TwemproxyYaml.Scalar redis = bool("redis");
            boolean redisPool = redis != null && redis.value().equals("true");
            for (String redisOnly : List.of("redis_auth", "redis_db")) {
                TwemproxyYaml.Scalar value = value(redisOnly);
                if (value != null && !redisPool) {
                    note(value.line(), redisOnly, "for redis pools only; ignored");
                } else if (value != null) {
                    // The same keys and meaning in kvproxy's Redis extension, which checks the values.
                    extensionLines.add(redisOnly + " = " + value.value());
                }
            }
        }

        private void timeouts() {
            TwemproxyYaml.Scalar timeout = value("timeout");
            if (timeout != null) {
                if (timeout.value().equals("-1") || timeout.value().equals("0")) {
                    note(timeout.line(), "timeout", timeout.value() + " (wait forever): kvproxy always gives up on a backend "
                            + "at some point; recv_timeout keeps its default, 100 ms");
                } else if (number(timeout, "timeout") > 0) {
                    proxyKeys.put("recv_timeout", timeout.value());
                }
            }
            TwemproxyYaml.Scalar backlog = value("backlog");
            int backlogSize = backlog == null ? -1 : number(backlog, "backlog");
            if (backlogSize == 0) {
                note(backlog.line(), "backlog", "0: kvproxy needs at least 1; backlog keeps its default, 1024");
            } else if (backlogSize > 0) {
                proxyKeys.put("backlog", backlog.value());
            }
            TwemproxyYaml.Scalar failureLimit = value("server_failure_limit");
            if (failureLimit != null) {
                int limit = number(failureLimit, "server_failure_limit");
                if (limit >= 0) {
                    proxyKeys.put("failover_threshold", Integer.toString(Math.max(1, limit)));
                }
            }
            TwemproxyYaml.Scalar retry = value("server_retry_timeout");
            if (retry != null) {
                int millis = number(retry, "server_retry_timeout");
                if (millis >= 0) {
                    int seconds = Math.max(1, (millis + 999) / 1000);
                    proxyKeys.put("failover_interval", Integer.toString(seconds));
                    if (millis != seconds * 1000) {
                        note(retry.line(), "server_retry_timeout", millis + " ms: kvproxy counts failover_interval in "
                                + "whole seconds; rounded up to " + seconds + " s");
                    }
                }
            }
            TwemproxyYaml.Scalar eject = bool("auto_eject_hosts");
            if (eject == null || eject.value().equals("false")) {
                note(eject == null ? 0 : eject.line(), "auto_eject_hosts", (eject == null ? "false (twemproxy's default)" : "false")
                        + ": kvproxy has no such switch: a server that fails failover_threshold times in a row leaves "
                        + "the ring, its keys move to the next servers, and it rejoins once it answers a health check");
            }
        }

        private void connections() {
            TwemproxyYaml.Scalar clients = value("client_connections");
            if (clients != null && number(clients, "client_connections") >= 0) {
                note(clients.line(), "client_connections", "twemproxy ignores it; kvproxy's limit is max_clients "
                        + "(default 10000), left at its default");
            }
            TwemproxyYaml.Scalar serverConnections = value("server_connections");
            if (serverConnections != null) {
                int count = number(serverConnections, "server_connections");
                if (count == 0) {
                    problems.add(serverConnections.line(), pool.name(), "server_connections", "cannot be 0");
                } else if (count > 0) {
                    note(serverConnections.line(), "server_connections", "kvproxy keeps one connection per worker thread "
                            + "(thread_count) to each server" + (redis() ? "" : " (two: text and binary)") + "; not translated");
                }
            }
            TwemproxyYaml.Scalar preconnect = bool("preconnect");
            if (preconnect != null) {
                note(preconnect.line(), "preconnect", "kvproxy always connects to every server at start");
            }
            TwemproxyYaml.Scalar keepalive = bool("tcpkeepalive");
            if (keepalive != null && keepalive.value().equals("true")) {
                note(keepalive.line(), "tcpkeepalive", "kvproxy sets TCP keepalive on its server connections, not on "
                        + "client connections; not translated");
            }
            TwemproxyYaml.Scalar reusePort = bool("reuseport");
            if (reusePort != null && reusePort.value().equals("true")) {
                note(reusePort.line(), "reuseport", "kvproxy runs thread_count worker threads in one process instead "
                        + "of several processes on one port; not translated");
            }
        }

        private void servers() {
            if (pool.servers().isEmpty()) {
                problems.add(pool.serversLine() > 0 ? pool.serversLine() : pool.line(), pool.name(), TwemproxyYaml.SERVERS,
                        "no servers (twemproxy requires at least one)");
                return;
            }
            Map<String, Integer> names = new HashMap<>();
            Map<String, Integer> addresses = new HashMap<>();
            for (TwemproxyYaml.Scalar server : pool.servers()) {
                TwemproxyServer parsed = TwemproxyServer.parse(server.value());
                if (parsed.problem() != null) {
                    problems.add(server.line(), pool.name(), TwemproxyYaml.SERVERS, parsed.problem());
                    continue;
                }
                Integer firstName = names.putIfAbsent(parsed.name(), server.line());
                if (firstName != null) {
                    problems.add(server.line(), pool.name(), TwemproxyYaml.SERVERS,
                            "a second server named \"" + parsed.name() + "\", first at line " + firstName);
                    continue;
                }
                String refusal = refusal(parsed);
                if (refusal != null) {
                    refuse(server.line(), TwemproxyYaml.SERVERS, server.value() + ": " + refusal);
                    continue;
                }
                Integer firstAddress = addresses.putIfAbsent(parsed.kvproxyAddress().toLowerCase(Locale.ROOT), server.line());
                if (firstAddress != null) {
                    refuse(server.line(), TwemproxyYaml.SERVERS, server.value() + ": the same address as line " + firstAddress
                            + "; kvproxy lists an address once per cluster");
                    continue;
                }
                clusterLines.add(parsed.kvproxyAddress() + " = \"" + parsed.name() + ":" + parsed.weight() + "\"");
            }
        }

        /** Why kvproxy cannot place this server as twemproxy does, or null. */
        private static String refusal(TwemproxyServer server) {
            if (server.unixSocket()) {
                return "a unix socket; kvproxy connects to servers over TCP only";
            }
            if (!HostSyntax.isIpv4OrHostName(server.host()) && !HostSyntax.isIpv6Literal(server.host())) {
                return "\"" + server.host() + "\" is not an address or host name kvproxy accepts";
            }
            if (!ClusterSectionReader.ID.matcher(server.name()).matches()) {
                return "the name \"" + server.name() + "\" cannot be a kvproxy id (letters, digits and _ . : - only), "
                        + "and keys are placed by name";
            }
            if (server.weight() > ClusterSectionReader.MAX_WEIGHT) {
                return "weight " + server.weight() + ": kvproxy takes weights up to " + ClusterSectionReader.MAX_WEIGHT;
            }
            return null;
        }

        private String ini() {
            StringBuilder text = new StringBuilder();
            text.append("; kvproxy configuration for the twemproxy pool \"").append(pool.name()).append("\" (")
                    .append(source.getFileName()).append(", line ").append(pool.line()).append("),\n")
                    .append("; written by kvproxy --import-twemproxy. Check it with: kvproxy -t -c FILE\n")
                    .append(";\n")
                    .append("; The servers keep their twemproxy names as ids, and hash, distribution, hash_tag and\n")
                    .append("; weights are the pool's: kvproxy places every key on the server nutcracker placed it on.\n");
            if (!notes.isEmpty()) {
                text.append(";\n; Not translated, or different in kvproxy:\n");
                notes.forEach(note -> text.append(note.comment()).append('\n'));
            }
            text.append("\n[kvproxy]\n");
            proxyKeys.forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
            text.append(redis() ? "\n[redis]\n" : "\n[memcached]\n");
            extensionLines.forEach(line -> text.append(line).append('\n'));
            text.append("\n; host:port = \"twemproxy name:weight\"\n");
            text.append('[').append(clusterSection()).append("]\n");
            clusterLines.forEach(line -> text.append(line).append('\n'));
            return text.toString();
        }

        /** The pool's name when it can be a cluster section of its own, else a name made from it. */
        private String clusterSection() {
            String name = pool.name();
            if (!SECTION_NAME.matcher(name).matches()) {
                name = name.replaceAll("[^A-Za-z0-9_.-]", "_");
            }
            return name.equals("kvproxy") || name.equals("memcached") || name.equals("redis") ? "pool_" + name : name;
        }

        private TwemproxyYaml.Scalar value(String directive) {
            return pool.directives().get(directive);
        }

        /** A boolean directive, or null when missing or not {@code true}/{@code false} (reported). */
        private TwemproxyYaml.Scalar bool(String directive) {
            TwemproxyYaml.Scalar value = value(directive);
            if (value != null && !value.value().equals("true") && !value.value().equals("false")) {
                problems.add(value.line(), pool.name(), directive, "expected true or false, got \"" + value.value() + "\"");
                return null;
            }
            return value;
        }

        /** A non-negative number as twemproxy reads it, or -1 after reporting that it is not one. */
        private int number(TwemproxyYaml.Scalar value, String directive) {
            if (DIGITS.matcher(value.value()).matches() && Long.parseLong(value.value()) <= Integer.MAX_VALUE) {
                return Integer.parseInt(value.value());
            }
            problems.add(value.line(), pool.name(), directive, "expected a non-negative number, got \"" + value.value() + "\"");
            return -1;
        }

        private void note(int line, String directive, String message) {
            notes.add(new Note(line, pool.name(), directive, message));
        }

        private void refuse(int line, String directive, String message) {
            refusals.add(new Note(line, pool.name(), directive, message));
        }
    }

    static String unbracketed(String host) {
        return host.length() >= 2 && host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
