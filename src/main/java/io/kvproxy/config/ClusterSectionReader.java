package io.kvproxy.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a cluster section, one server per line: {@code host:port = "id:weight"}. The id, not the address,
 * places a server on the ring (so clusters that share ids split keys alike, and a server can move without
 * moving its keys); that is why ids must be unique in a cluster and are checked as strictly as addresses.
 */
final class ClusterSectionReader {

    /** Ids are written into ring point names ({@code "<id>-<i>"}) and into {@code status}: no spaces. */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9_.:-]+");
    private static final Pattern NUMBER = Pattern.compile("[0-9]{1,9}");
    static final int MAX_WEIGHT = 10000;

    private ClusterSectionReader() {
    }

    /** The cluster, or null when it has problems (all of them reported). */
    static ClusterSpec read(IniFile.Section section, Problems problems) {
        Map<String, Integer> addressLines = new HashMap<>();
        Map<String, Integer> idLines = new HashMap<>();
        List<ServerSpec> servers = new ArrayList<>();
        boolean valid = true;
        for (IniFile.Entry entry : section.entries()) {
            ServerSpec server = server(section.name(), entry, problems);
            if (server == null) {
                valid = false;
                continue;
            }
            // host names are case-insensitive: LOCALHOST:11211 repeats localhost:11211
            Integer firstAddress = addressLines.putIfAbsent(server.address().toLowerCase(Locale.ROOT), entry.line());
            if (firstAddress != null) {
                problems.add(entry.line(), section.name(), entry.key(), "duplicate server address, first at line " + firstAddress);
                valid = false;
            }
            Integer firstId = idLines.putIfAbsent(server.id(), entry.line());
            if (firstId != null) {
                problems.add(entry.line(), section.name(), entry.key(),
                        "duplicate id \"" + server.id() + "\", first at line " + firstId);
                valid = false;
            }
            servers.add(server);
        }
        if (valid && servers.stream().noneMatch(server -> server.weight() > 0)) {
            problems.add(section.line(), section.name(), null, "no server with weight > 0: the cluster could take no keys");
            valid = false;
        }
        return valid ? new ClusterSpec(section.name(), servers) : null;
    }

    /** One line, or null when its address or its value is bad (both are checked and reported). */
    private static ServerSpec server(String section, IniFile.Entry entry, Problems problems) {
        String address = entry.key();
        String host;
        String port;
        String addressProblem = null;
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            boolean shaped = close > 0 && address.startsWith(":", close + 1);
            host = shaped ? address.substring(0, close + 1) : address; // brackets kept: address() is as written
            port = shaped ? address.substring(close + 2) : "";
            if (!shaped) {
                addressProblem = "expected [IPv6 address]:port, got \"" + address + "\"";
            } else if (!HostSyntax.isIpv6Literal(address.substring(1, close))) {
                addressProblem = "not an IPv6 address: \"" + address.substring(1, close) + "\"";
            }
        } else {
            int colon = address.lastIndexOf(':');
            host = colon < 0 ? address : address.substring(0, colon);
            port = colon < 0 ? "" : address.substring(colon + 1);
            if (colon < 0) {
                addressProblem = "expected host:port, got \"" + address + "\"";
            } else if (host.contains(":")) {
                addressProblem = "an IPv6 address needs brackets, e.g. [::1]:11211";
            } else if (!HostSyntax.isIpv4OrHostName(host)) {
                addressProblem = "not an IP address or host name: \"" + host + "\"";
            }
        }
        int portNumber = number(port);
        if (addressProblem == null && (portNumber < 1 || portNumber > 65535)) {
            addressProblem = "expected a port in 1..65535, got \"" + port + "\"";
        }
        if (addressProblem != null) {
            problems.add(entry.line(), section, address, addressProblem);
        }
        if (entry.malformed()) {
            return null; // its quotes were reported already
        }
        String valueProblem = null;
        String value = entry.value();
        int colon = value.lastIndexOf(':'); // the last: an id may hold colons, a weight may not
        String id = colon < 0 ? "" : value.substring(0, colon);
        int weight = colon < 0 ? -1 : number(value.substring(colon + 1));
        if (colon < 0 || id.isEmpty()) {
            valueProblem = "expected \"id:weight\", got \"" + value + "\"";
        } else if (!ID.matcher(id).matches()) {
            valueProblem = "id \"" + id + "\" may hold only letters, digits and _ . : -";
        } else if (weight < 0 || weight > MAX_WEIGHT) {
            valueProblem = "expected a weight in 0.." + MAX_WEIGHT + ", got \"" + value.substring(colon + 1) + "\"";
        }
        if (valueProblem != null) {
            problems.add(entry.line(), section, address, valueProblem);
        }
        if (addressProblem != null || valueProblem != null) {
            return null;
        }
        return new ServerSpec(host, portNumber, id, weight, entry.line());
    }

    /** A plain decimal number, or -1 for anything else. */
    private static int number(String text) {
        return NUMBER.matcher(text).matches() ? Integer.parseInt(text) : -1;
    }
}
