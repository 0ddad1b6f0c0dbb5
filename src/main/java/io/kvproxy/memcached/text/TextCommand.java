package io.kvproxy.memcached.text;

import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.CommandKind;
import java.nio.charset.StandardCharsets;

/** The commands of memcached's text protocol that kvproxy serves, and how each is routed. */
enum TextCommand {
    GET("get"), GETS("gets"), GAT("gat"), GATS("gats"),
    SET("set"), ADD("add"), REPLACE("replace"), APPEND("append"), PREPEND("prepend"), CAS("cas"),
    DELETE("delete"), INCR("incr"), DECR("decr"), TOUCH("touch"),
    FLUSH_ALL("flush_all"),
    /** Sent to every server, as flush_all: the pool's servers each take the new memory limit. */
    CACHE_MEMLIMIT("cache_memlimit"),
    VERSION("version"), STATS("stats"), VERBOSITY("verbosity"), QUIT("quit"),
    /** The original kvproxy's report, answered by the proxy. */
    STATUS("status"),
    /** The meta commands ({@link MetaCommands}): one key each, flags after it; mn ends a quiet pipeline. */
    MG("mg"), MS("ms"), MD("md"), MA("ma"), MN("mn"), ME("me"),
    /** memcached commands a proxy cannot sensibly forward; answered with a clear error. */
    UNSUPPORTED(null);

    private static final TextCommand[] NAMED = {
        GET, GETS, GAT, GATS, SET, ADD, REPLACE, APPEND, PREPEND, CAS, DELETE, INCR, DECR, TOUCH,
        FLUSH_ALL, CACHE_MEMLIMIT, VERSION, STATS, VERBOSITY, QUIT, STATUS, MG, MS, MD, MA, MN, ME};
    private static final String[] UNSUPPORTED_NAMES = {
        "shutdown", "slabs", "lru", "lru_crawler", "watch", "extstore", "misbehave",
        "debugtime", "debug"};
    private static final byte[][] UNSUPPORTED_BYTES = new byte[UNSUPPORTED_NAMES.length][];

    static {
        for (int i = 0; i < UNSUPPORTED_NAMES.length; i++) {
            UNSUPPORTED_BYTES[i] = UNSUPPORTED_NAMES[i].getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final byte[] name;

    TextCommand(String name) {
        this.name = name == null ? null : name.getBytes(StandardCharsets.US_ASCII);
    }

    /** The command word as sent, e.g. {@code get}. */
    byte[] word() {
        return name;
    }

    /** Retrieval commands: a {@code VALUE … END} reply, one key or many. */
    boolean isRetrieval() {
        return this == GET || this == GETS || this == GAT || this == GATS;
    }

    /** Commands followed by a data block. */
    boolean isStorage() {
        return this == SET || this == ADD || this == REPLACE || this == APPEND || this == PREPEND || this == CAS;
    }

    /** What the metrics call this command when it goes to a server. */
    CommandKind commandKind() {
        return switch (this) {
            case GET, GETS, GAT, GATS, MG -> CommandKind.GET;
            case SET, ADD, REPLACE, APPEND, PREPEND, CAS, MS -> CommandKind.SET;
            case DELETE, MD -> CommandKind.DELETE;
            case INCR, DECR, MA -> CommandKind.ARITHMETIC;
            case TOUCH -> CommandKind.TOUCH;
            default -> CommandKind.OTHER;
        };
    }

    /** Looks up the command word at absolute {@code [offset, offset + length)}; null when unknown. */
    static TextCommand lookup(Buffer bytes, int offset, int length) {
        for (TextCommand command : NAMED) {
            if (matches(bytes, offset, length, command.name)) {
                return command;
            }
        }
        for (byte[] unsupported : UNSUPPORTED_BYTES) {
            if (matches(bytes, offset, length, unsupported)) {
                return UNSUPPORTED;
            }
        }
        return null;
    }

    private static boolean matches(Buffer bytes, int offset, int length, byte[] word) {
        if (length != word.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (bytes.get(offset + i) != word[i]) {
                return false;
            }
        }
        return true;
    }
}
