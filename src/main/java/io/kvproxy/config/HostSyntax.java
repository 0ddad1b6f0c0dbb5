package io.kvproxy.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Whether a string can name a host: an IPv4 literal, an IPv6 literal or a host name. Syntax only: the
 * config is checked without touching DNS, so {@code kvproxy -t} gives the same answer on any machine
 * and a slow resolver cannot stall a start; names are resolved when the daemon connects.
 */
final class HostSyntax {

    private static final Pattern DOTTED_NUMBERS = Pattern.compile("[0-9.]+");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    /** RFC 1123 labels: letters, digits and inner hyphens, at most 63 characters each. */
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
    private static final Pattern IPV6_CHARACTERS = Pattern.compile("[0-9A-Fa-f:.]+");

    private HostSyntax() {
    }

    /** An IPv4 literal or a host name (an IPv6 literal is {@link #isIpv6Literal}). */
    static boolean isIpv4OrHostName(String host) {
        if (DOTTED_NUMBERS.matcher(host).matches()) {
            return IPV4.matcher(host).matches(); // 1.2.3.999 is a typo, not a host name
        }
        return host.length() <= 253 && HOST_NAME.matcher(host).matches();
    }

    /** An IPv6 literal without brackets, such as {@code ::1}. */
    static boolean isIpv6Literal(String host) {
        // InetAddress parses a string that starts with a hex digit or ':' and holds a ':' as a literal
        // and never looks it up; anything else it would send to DNS, so it never gets that far.
        if (!host.contains(":") || !IPV6_CHARACTERS.matcher(host).matches() || host.charAt(0) == '.') {
            return false;
        }
        try {
            InetAddress.getByName(host); // ::ffff:1.2.3.4 comes back as an Inet4Address: still valid
            return true;
        } catch (UnknownHostException e) {
            return false; // InetAddress's only way of saying "not a valid IPv6 literal"
        }
    }
}
