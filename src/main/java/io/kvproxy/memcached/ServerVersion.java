package io.kvproxy.memcached;

/**
 * The version kvproxy reports to memcached clients. Clients choose features by it (libmemcached refuses a
 * major version 0; memccapable, Cache::Memcached and others hold a server older than 1.6 to older rules
 * and turn off cas, gat, touch, noreply), so it is the memcached release whose behaviour kvproxy
 * implements and is tested against. kvproxy's own version follows it in the {@code version} reply, after
 * a space, where every client reads only the leading {@code major.minor.micro}; {@code stats} has it as
 * {@code kvproxy_version}, so that {@code STAT version} stays a plain memcached version.
 */
public final class ServerVersion {

    /** The memcached release kvproxy speaks as. */
    public static final String MEMCACHED = "1.6.18";

    private ServerVersion() {
    }

    /** The text after {@code VERSION } (text) or the body of a binary VERSION reply. */
    public static String reply(String kvproxyVersion) {
        return MEMCACHED + " kvproxy-" + kvproxyVersion;
    }
}
