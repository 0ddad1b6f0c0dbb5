package io.kvproxy.config;

/**
 * One twemproxy {@code servers} item, read as twemproxy's {@code conf_add_server} reads it: from the
 * right, the name after the last space (optional), then the weight after the last colon and, unless
 * the address is a unix socket path, the port after the colon before it.
 *
 * @param host the host as written, IPv6 brackets removed; the path for a unix socket
 * @param port 0 for a unix socket
 * @param name the given name, or twemproxy's default: the host for port 11211, else {@code host:port}
 *     as written; for a unix socket, the path followed by {@code ":"}
 * @param problem why twemproxy would refuse the item, or null
 */
record TwemproxyServer(String host, int port, int weight, String name, boolean unixSocket, String problem) {

    /** The port twemproxy leaves out of a server's default name, as libmemcached does. */
    private static final int DEFAULT_NAME_PORT = 11211;

    static TwemproxyServer parse(String item) {
        int space = item.lastIndexOf(' ');
        String name = space < 0 ? null : item.substring(space + 1);
        String address = space < 0 ? item : item.substring(0, space);
        boolean unixSocket = address.startsWith("/");
        int weightColon = address.lastIndexOf(':');
        int portColon = unixSocket || weightColon < 0 ? weightColon : address.lastIndexOf(':', weightColon - 1);
        if (weightColon < 0 || portColon < 0 || (name != null && name.isEmpty())) {
            return failed("expected \"host:port:weight [name]\" or \"/path:weight [name]\", got \"" + item + "\"");
        }
        String weightText = address.substring(weightColon + 1);
        int weight = number(weightText, Integer.MAX_VALUE);
        if (weight <= 0) {
            return failed("expected a weight of 1 or more, got \"" + weightText + "\"");
        }
        if (unixSocket) {
            String path = address.substring(0, weightColon);
            return new TwemproxyServer(path, 0, weight, name != null ? name : path + ":", true, null);
        }
        String portText = address.substring(portColon + 1, weightColon);
        int port = number(portText, 65535);
        if (port < 1) {
            return failed("expected a port in 1..65535, got \"" + portText + "\"");
        }
        String host = address.substring(0, portColon);
        if (name == null) {
            name = port == DEFAULT_NAME_PORT ? host : host + ":" + portText;
        }
        return new TwemproxyServer(TwemproxyImport.unbracketed(host), port, weight, name, false, null);
    }

    /** {@code host:port} as a kvproxy cluster line writes it (an IPv6 host in brackets). */
    String kvproxyAddress() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** Decimal digits up to {@code max}, or -1. */
    private static int number(String text, int max) {
        if (!TwemproxyImport.DIGITS.matcher(text).matches()) {
            return -1;
        }
        long value = Long.parseLong(text);
        return value <= max ? (int) value : -1;
    }

    private static TwemproxyServer failed(String problem) {
        return new TwemproxyServer("", 0, 0, "", false, problem);
    }
}
