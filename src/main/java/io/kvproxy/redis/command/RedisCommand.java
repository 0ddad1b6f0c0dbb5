package io.kvproxy.redis.command;

import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * The command table: every command redis-server 7 knows, as kvproxy serves it. The served ones are
 * twemproxy's (0.5) coverage: the single-key commands of every data type, routed by their key; MGET,
 * MSET, DEL, UNLINK, TOUCH and EXISTS, split over the servers of their keys and merged; the other
 * multi-key commands, sent whole to their first key's server (a hash tag puts their keys together);
 * COMMAND and LOLWUT, which any server answers alike; PING, ECHO, QUIT and AUTH, answered by the proxy.
 * Every other command is refused with an error naming it, and the connection goes on: nothing that
 * cannot be served correctly through a sharding proxy is forwarded.
 *
 * <p>Arity as redis-server's own table has it (a positive arity is exact, a negative one a minimum,
 * the command name counted), checked before anything is sent, with redis-server's error. Read or write
 * is redis-server's flag: writes go to {@code hosts} and are replicated to {@code hosts_backup}; reads
 * use {@code hosts_read} when there is one (a command that is neither, EVAL, counts as a write).
 *
 * <p>The routing key is the first key as redis-server's key specs have it: argument 1 for most; 3 for
 * EVAL and EVALSHA (after the script and numkeys, as twemproxy); 2 for ZUNION, ZINTER and ZDIFF (after
 * numkeys), where nutcracker 0.5.0 hashes numkeys itself and so reads most keys on the wrong server.
 *
 * <p>{@link #lookup} finds a command from its name's bytes in the input buffer, in any case, without
 * allocating. Every error text is made once, at class initialisation. Immutable; shared by all workers.
 */
public enum RedisCommand {

    // Served: routed by key, split and merged, sent to any server, or answered by the proxy.
    APPEND("append", 3, Access.WRITE, 1),
    AUTH("auth", -2, Routing.PROXY),
    BITCOUNT("bitcount", -2, Access.READ, 1),
    BITFIELD("bitfield", -2, Access.WRITE, 1),
    BITPOS("bitpos", -3, Access.READ, 1),
    // SETINFO answered, every other subcommand refused (the connection is the proxy's).
    CLIENT("client", -2, Routing.PROXY),
    COMMAND("command", -1, Access.WRITE, Routing.ANY_SERVER),
    COPY("copy", -3, Access.WRITE, 1),
    DECR("decr", 2, Access.WRITE, 1),
    DECRBY("decrby", 3, Access.WRITE, 1),
    DEL("del", -2, Access.WRITE, Merge.SUM),
    DUMP("dump", 2, Access.READ, 1),
    ECHO("echo", 2, Routing.PROXY),
    EVAL("eval", -3, Access.WRITE, 3),
    EVALSHA("evalsha", -3, Access.WRITE, 3),
    EXISTS("exists", -2, Access.READ, Merge.SUM),
    EXPIRE("expire", -3, Access.WRITE, 1),
    EXPIREAT("expireat", -3, Access.WRITE, 1),
    GEOADD("geoadd", -5, Access.WRITE, 1),
    GEODIST("geodist", -4, Access.READ, 1),
    GEOHASH("geohash", -2, Access.READ, 1),
    GEOPOS("geopos", -2, Access.READ, 1),
    GEORADIUS("georadius", -6, Access.WRITE, 1),
    GEORADIUSBYMEMBER("georadiusbymember", -5, Access.WRITE, 1),
    GEOSEARCH("geosearch", -7, Access.READ, 1),
    GEOSEARCHSTORE("geosearchstore", -8, Access.WRITE, 1),
    GET("get", 2, Access.READ, 1),
    GETBIT("getbit", 3, Access.READ, 1),
    GETDEL("getdel", 2, Access.WRITE, 1),
    GETEX("getex", -2, Access.WRITE, 1),
    GETRANGE("getrange", 4, Access.READ, 1),
    GETSET("getset", 3, Access.WRITE, 1),
    HDEL("hdel", -3, Access.WRITE, 1),
    HEXISTS("hexists", 3, Access.READ, 1),
    HGET("hget", 3, Access.READ, 1),
    HGETALL("hgetall", 2, Access.READ, 1),
    HINCRBY("hincrby", 4, Access.WRITE, 1),
    HINCRBYFLOAT("hincrbyfloat", 4, Access.WRITE, 1),
    HKEYS("hkeys", 2, Access.READ, 1),
    HLEN("hlen", 2, Access.READ, 1),
    HMGET("hmget", -3, Access.READ, 1),
    HMSET("hmset", -4, Access.WRITE, 1),
    HRANDFIELD("hrandfield", -2, Access.READ, 1),
    HSCAN("hscan", -3, Access.READ, 1),
    HSET("hset", -4, Access.WRITE, 1),
    HSETNX("hsetnx", 4, Access.WRITE, 1),
    HSTRLEN("hstrlen", 3, Access.READ, 1),
    HVALS("hvals", 2, Access.READ, 1),
    INCR("incr", 2, Access.WRITE, 1),
    INCRBY("incrby", 3, Access.WRITE, 1),
    INCRBYFLOAT("incrbyfloat", 3, Access.WRITE, 1),
    LINDEX("lindex", 3, Access.READ, 1),
    LINSERT("linsert", 5, Access.WRITE, 1),
    LLEN("llen", 2, Access.READ, 1),
    LMOVE("lmove", 5, Access.WRITE, 1),
    LOLWUT("lolwut", -1, Access.READ, Routing.ANY_SERVER),
    LPOP("lpop", -2, Access.WRITE, 1),
    LPOS("lpos", -3, Access.READ, 1),
    LPUSH("lpush", -3, Access.WRITE, 1),
    LPUSHX("lpushx", -3, Access.WRITE, 1),
    LRANGE("lrange", 4, Access.READ, 1),
    LREM("lrem", 4, Access.WRITE, 1),
    LSET("lset", 4, Access.WRITE, 1),
    LTRIM("ltrim", 4, Access.WRITE, 1),
    MGET("mget", -2, Access.READ, Merge.VALUES),
    MSET("mset", -3, Access.WRITE, Merge.OK),
    PERSIST("persist", 2, Access.WRITE, 1),
    PEXPIRE("pexpire", -3, Access.WRITE, 1),
    PEXPIREAT("pexpireat", -3, Access.WRITE, 1),
    PFADD("pfadd", -2, Access.WRITE, 1),
    PFCOUNT("pfcount", -2, Access.READ, 1),
    PFMERGE("pfmerge", -2, Access.WRITE, 1),
    PING("ping", -1, Routing.PROXY),
    PSETEX("psetex", 4, Access.WRITE, 1),
    PTTL("pttl", 2, Access.READ, 1),
    QUIT("quit", -1, Routing.PROXY),
    RESTORE("restore", -4, Access.WRITE, 1),
    RPOP("rpop", -2, Access.WRITE, 1),
    RPOPLPUSH("rpoplpush", 3, Access.WRITE, 1),
    RPUSH("rpush", -3, Access.WRITE, 1),
    RPUSHX("rpushx", -3, Access.WRITE, 1),
    SADD("sadd", -3, Access.WRITE, 1),
    SCARD("scard", 2, Access.READ, 1),
    SDIFF("sdiff", -2, Access.READ, 1),
    SDIFFSTORE("sdiffstore", -3, Access.WRITE, 1),
    SET("set", -3, Access.WRITE, 1),
    SETBIT("setbit", 4, Access.WRITE, 1),
    SETEX("setex", 4, Access.WRITE, 1),
    SETNX("setnx", 3, Access.WRITE, 1),
    SETRANGE("setrange", 4, Access.WRITE, 1),
    SINTER("sinter", -2, Access.READ, 1),
    SINTERSTORE("sinterstore", -3, Access.WRITE, 1),
    SISMEMBER("sismember", 3, Access.READ, 1),
    SMEMBERS("smembers", 2, Access.READ, 1),
    SMISMEMBER("smismember", -3, Access.READ, 1),
    SMOVE("smove", 4, Access.WRITE, 1),
    SORT("sort", -2, Access.WRITE, 1),
    SPOP("spop", -2, Access.WRITE, 1),
    SRANDMEMBER("srandmember", -2, Access.READ, 1),
    SREM("srem", -3, Access.WRITE, 1),
    SSCAN("sscan", -3, Access.READ, 1),
    STRLEN("strlen", 2, Access.READ, 1),
    SUNION("sunion", -2, Access.READ, 1),
    SUNIONSTORE("sunionstore", -3, Access.WRITE, 1),
    TOUCH("touch", -2, Access.READ, Merge.SUM),
    TTL("ttl", 2, Access.READ, 1),
    TYPE("type", 2, Access.READ, 1),
    UNLINK("unlink", -2, Access.WRITE, Merge.SUM),
    ZADD("zadd", -4, Access.WRITE, 1),
    ZCARD("zcard", 2, Access.READ, 1),
    ZCOUNT("zcount", 4, Access.READ, 1),
    ZDIFF("zdiff", -3, Access.READ, 2),
    ZDIFFSTORE("zdiffstore", -4, Access.WRITE, 1),
    ZINCRBY("zincrby", 4, Access.WRITE, 1),
    ZINTER("zinter", -3, Access.READ, 2),
    ZINTERSTORE("zinterstore", -4, Access.WRITE, 1),
    ZLEXCOUNT("zlexcount", 4, Access.READ, 1),
    ZMSCORE("zmscore", -3, Access.READ, 1),
    ZPOPMAX("zpopmax", -2, Access.WRITE, 1),
    ZPOPMIN("zpopmin", -2, Access.WRITE, 1),
    ZRANDMEMBER("zrandmember", -2, Access.READ, 1),
    ZRANGE("zrange", -4, Access.READ, 1),
    ZRANGEBYLEX("zrangebylex", -4, Access.READ, 1),
    ZRANGEBYSCORE("zrangebyscore", -4, Access.READ, 1),
    ZRANGESTORE("zrangestore", -5, Access.WRITE, 1),
    ZRANK("zrank", 3, Access.READ, 1),
    ZREM("zrem", -3, Access.WRITE, 1),
    ZREMRANGEBYLEX("zremrangebylex", 4, Access.WRITE, 1),
    ZREMRANGEBYRANK("zremrangebyrank", 4, Access.WRITE, 1),
    ZREMRANGEBYSCORE("zremrangebyscore", 4, Access.WRITE, 1),
    ZREVRANGE("zrevrange", -4, Access.READ, 1),
    ZREVRANGEBYLEX("zrevrangebylex", -4, Access.READ, 1),
    ZREVRANGEBYSCORE("zrevrangebyscore", -4, Access.READ, 1),
    ZREVRANK("zrevrank", 3, Access.READ, 1),
    ZSCAN("zscan", -3, Access.READ, 1),
    ZSCORE("zscore", 3, Access.READ, 1),
    ZUNION("zunion", -3, Access.READ, 2),
    ZUNIONSTORE("zunionstore", -4, Access.WRITE, 1),

    // Known to redis-server 7 and refused: each gets an error naming it, and the connection goes on.
    ACL("acl", Refusal.ADMIN),
    ASKING("asking", Refusal.CONNECTION),
    BGREWRITEAOF("bgrewriteaof", Refusal.ADMIN),
    BGSAVE("bgsave", Refusal.ADMIN),
    BITFIELD_RO("bitfield_ro", Refusal.OTHER),
    BITOP("bitop", Refusal.OTHER),
    BLMOVE("blmove", Refusal.BLOCKING),
    BLMPOP("blmpop", Refusal.BLOCKING),
    BLPOP("blpop", Refusal.BLOCKING),
    BRPOP("brpop", Refusal.BLOCKING),
    BRPOPLPUSH("brpoplpush", Refusal.BLOCKING),
    BZMPOP("bzmpop", Refusal.BLOCKING),
    BZPOPMAX("bzpopmax", Refusal.BLOCKING),
    BZPOPMIN("bzpopmin", Refusal.BLOCKING),
    CLUSTER("cluster", Refusal.ADMIN),
    CONFIG("config", Refusal.ADMIN),
    DBSIZE("dbsize", Refusal.KEYSPACE),
    DEBUG("debug", Refusal.ADMIN),
    DISCARD("discard", Refusal.TRANSACTION),
    EVAL_RO("eval_ro", Refusal.OTHER),
    EVALSHA_RO("evalsha_ro", Refusal.OTHER),
    EXEC("exec", Refusal.TRANSACTION),
    EXPIRETIME("expiretime", Refusal.OTHER),
    FAILOVER("failover", Refusal.ADMIN),
    FCALL("fcall", Refusal.OTHER),
    FCALL_RO("fcall_ro", Refusal.OTHER),
    FLUSHALL("flushall", Refusal.ADMIN),
    FLUSHDB("flushdb", Refusal.ADMIN),
    FUNCTION("function", Refusal.ADMIN),
    GEORADIUS_RO("georadius_ro", Refusal.OTHER),
    GEORADIUSBYMEMBER_RO("georadiusbymember_ro", Refusal.OTHER),
    HELLO("hello", Refusal.CONNECTION),
    INFO("info", Refusal.ADMIN),
    KEYS("keys", Refusal.KEYSPACE),
    LASTSAVE("lastsave", Refusal.ADMIN),
    LATENCY("latency", Refusal.ADMIN),
    LCS("lcs", Refusal.OTHER),
    LMPOP("lmpop", Refusal.OTHER),
    MEMORY("memory", Refusal.ADMIN),
    MIGRATE("migrate", Refusal.ADMIN),
    MODULE("module", Refusal.ADMIN),
    MONITOR("monitor", Refusal.ADMIN),
    MOVE("move", Refusal.OTHER),
    MSETNX("msetnx", Refusal.OTHER),
    MULTI("multi", Refusal.TRANSACTION),
    OBJECT("object", Refusal.ADMIN),
    PEXPIRETIME("pexpiretime", Refusal.OTHER),
    PFDEBUG("pfdebug", Refusal.ADMIN),
    PFSELFTEST("pfselftest", Refusal.ADMIN),
    PSUBSCRIBE("psubscribe", Refusal.PUBSUB),
    PSYNC("psync", Refusal.ADMIN),
    PUBLISH("publish", Refusal.PUBSUB),
    PUBSUB("pubsub", Refusal.PUBSUB),
    PUNSUBSCRIBE("punsubscribe", Refusal.PUBSUB),
    RANDOMKEY("randomkey", Refusal.KEYSPACE),
    READONLY("readonly", Refusal.CONNECTION),
    READWRITE("readwrite", Refusal.CONNECTION),
    RENAME("rename", Refusal.OTHER),
    RENAMENX("renamenx", Refusal.OTHER),
    REPLCONF("replconf", Refusal.ADMIN),
    REPLICAOF("replicaof", Refusal.ADMIN),
    RESET("reset", Refusal.CONNECTION),
    RESTORE_ASKING("restore-asking", Refusal.ADMIN),
    ROLE("role", Refusal.ADMIN),
    SAVE("save", Refusal.ADMIN),
    SCAN("scan", Refusal.KEYSPACE),
    SCRIPT("script", Refusal.ADMIN),
    SELECT("select", Refusal.SELECT),
    SHUTDOWN("shutdown", Refusal.ADMIN),
    SINTERCARD("sintercard", Refusal.OTHER),
    SLAVEOF("slaveof", Refusal.ADMIN),
    SLOWLOG("slowlog", Refusal.ADMIN),
    SORT_RO("sort_ro", Refusal.OTHER),
    SPUBLISH("spublish", Refusal.PUBSUB),
    SSUBSCRIBE("ssubscribe", Refusal.PUBSUB),
    SUBSCRIBE("subscribe", Refusal.PUBSUB),
    SUBSTR("substr", Refusal.OTHER),
    SUNSUBSCRIBE("sunsubscribe", Refusal.PUBSUB),
    SWAPDB("swapdb", Refusal.ADMIN),
    SYNC("sync", Refusal.ADMIN),
    TIME("time", Refusal.OTHER),
    UNSUBSCRIBE("unsubscribe", Refusal.PUBSUB),
    UNWATCH("unwatch", Refusal.TRANSACTION),
    WAIT("wait", Refusal.CONNECTION),
    WATCH("watch", Refusal.TRANSACTION),
    XACK("xack", Refusal.OTHER),
    XADD("xadd", Refusal.OTHER),
    XAUTOCLAIM("xautoclaim", Refusal.OTHER),
    XCLAIM("xclaim", Refusal.OTHER),
    XDEL("xdel", Refusal.OTHER),
    XGROUP("xgroup", Refusal.OTHER),
    XINFO("xinfo", Refusal.OTHER),
    XLEN("xlen", Refusal.OTHER),
    XPENDING("xpending", Refusal.OTHER),
    XRANGE("xrange", Refusal.OTHER),
    XREAD("xread", Refusal.BLOCKING),
    XREADGROUP("xreadgroup", Refusal.BLOCKING),
    XREVRANGE("xrevrange", Refusal.OTHER),
    XSETID("xsetid", Refusal.OTHER),
    XTRIM("xtrim", Refusal.OTHER),
    ZINTERCARD("zintercard", Refusal.OTHER),
    ZMPOP("zmpop", Refusal.OTHER);

    /** Where a command's request goes. */
    public enum Routing {
        /** To the server of the key at {@link #keyIndex()} (for a multi-key command: its first key). */
        KEY,
        /** Split into one request per server of its keys; the replies merged as {@link #merge()} says. */
        SPLIT,
        /** To any one server: its reply does not depend on the keys a server holds. */
        ANY_SERVER,
        /** Answered by the proxy itself. */
        PROXY,
        /** Answered with {@link #refusalError()}. */
        REFUSED
    }

    /** Which cluster a routed command uses. */
    public enum Access {
        /** {@code hosts_read} when configured, falling back to {@code hosts}. */
        READ,
        /** {@code hosts}, replicated to {@code hosts_backup}. */
        WRITE,
        /** Not sent to a server (answered or refused by the proxy). */
        NONE
    }

    /** How the replies to the parts of a split command make the client's one reply. */
    public enum Merge {
        /** MGET: an array of every part's values, in the client's key order. */
        VALUES,
        /** MSET: {@code +OK} once every part said so. */
        OK,
        /** DEL, UNLINK, TOUCH, EXISTS: the parts' integers summed. */
        SUM
    }

    /** Why a known command is refused. */
    public enum Refusal {
        SELECT("the pool's database is chosen by redis_db"),
        TRANSACTION("a transaction cannot span the servers of a pool"),
        PUBSUB("pub/sub is not proxied"),
        BLOCKING("blocking commands are not proxied"),
        KEYSPACE("it would see the keys of one server only"),
        CONNECTION("the connection's state belongs to the proxy"),
        ADMIN("administer the servers directly"),
        OTHER("kvproxy does not proxy it");

        private final String reason;

        Refusal(String reason) {
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    /** The longest command name; a longer first argument is unknown without a look. */
    private static final int MAX_NAME_LENGTH = 32;
    private static final RedisCommand[] TABLE = new RedisCommand[1024];

    static {
        Buffer names = new Buffer(MAX_NAME_LENGTH, MAX_NAME_LENGTH);
        for (RedisCommand command : values()) {
            if (command.name.length > MAX_NAME_LENGTH) {
                throw new IllegalStateException("command name longer than " + MAX_NAME_LENGTH + ": " + command.wireName);
            }
            names.clear();
            names.put(command.name);
            int slot = hash(names, 0, command.name.length) & (TABLE.length - 1);
            while (TABLE[slot] != null) {
                slot = (slot + 1) & (TABLE.length - 1);
            }
            TABLE[slot] = command;
        }
    }

    private final String wireName;
    private final byte[] name;
    private final int arity;
    private final Access access;
    private final Routing routing;
    private final int keyIndex;
    private final Merge merge;
    private final Refusal refusal;
    private final String arityError;
    private final String refusalError;
    private final String noKeyError;

    /** A command routed by the key at {@code keyIndex}. */
    RedisCommand(String name, int arity, Access access, int keyIndex) {
        this(name, arity, access, Routing.KEY, keyIndex, null, null);
    }

    /** A command split over the servers of its keys. */
    RedisCommand(String name, int arity, Access access, Merge merge) {
        this(name, arity, access, Routing.SPLIT, 1, merge, null);
    }

    /** A command sent to any server ({@link Routing#ANY_SERVER}). */
    RedisCommand(String name, int arity, Access access, Routing routing) {
        this(name, arity, access, routing, 0, null, null);
    }

    /** A command the proxy answers. */
    RedisCommand(String name, int arity, Routing routing) {
        this(name, arity, Access.NONE, routing, 0, null, null);
    }

    /** A refused command: its arity does not matter, as nothing of it is used. */
    RedisCommand(String name, Refusal refusal) {
        this(name, -1, Access.NONE, Routing.REFUSED, 0, null, refusal);
    }

    RedisCommand(String name, int arity, Access access, Routing routing, int keyIndex, Merge merge, Refusal refusal) {
        this.wireName = name;
        this.name = name.getBytes(StandardCharsets.US_ASCII);
        this.arity = arity;
        this.access = access;
        this.routing = routing;
        this.keyIndex = keyIndex;
        this.merge = merge;
        this.refusal = refusal;
        this.arityError = "-ERR wrong number of arguments for '" + name + "' command";
        this.refusalError = refusal == null ? null : "-ERR unsupported command '" + name + "': " + refusal.reason();
        this.noKeyError = "-ERR kvproxy routes '" + name + "' by its first key, and it was given none";
    }

    /**
     * The command named by the {@code length} bytes at absolute {@code index} of {@code in}, in any case;
     * null when redis-server has no such command (answer {@code ProxyReplies.writeUnknownCommand}).
     */
    public static RedisCommand lookup(Buffer in, int index, int length) {
        if (length == 0 || length > MAX_NAME_LENGTH) {
            return null;
        }
        int slot = hash(in, index, length) & (TABLE.length - 1);
        for (RedisCommand command = TABLE[slot]; command != null; command = TABLE[slot]) {
            if (command.named(in, index, length)) {
                return command;
            }
            slot = (slot + 1) & (TABLE.length - 1);
        }
        return null;
    }

    /** The name in lower case, as redis-server's errors spell it. */
    public String wireName() {
        return wireName;
    }

    public Routing routing() {
        return routing;
    }

    public Access access() {
        return access;
    }

    /** For {@link Routing#KEY}: the argument that is routed by; for {@link Routing#SPLIT}: the first key. */
    public int keyIndex() {
        return keyIndex;
    }

    /** For {@link Routing#SPLIT}: arguments per key, the key first (MSET: 2, key and value; else 1). */
    public int keyStep() {
        return merge == Merge.OK ? 2 : 1;
    }

    /** For {@link Routing#SPLIT}: how the parts' replies are merged; null otherwise. */
    public Merge merge() {
        return merge;
    }

    /** For {@link Routing#REFUSED}: why. */
    public Refusal refusal() {
        return refusal;
    }

    /**
     * Whether a request of {@code argCount} arguments (the name included) has a shape this command takes:
     * redis-server's arity, and the two counts redis-server checks inside the command, with the same error,
     * for commands whose request kvproxy makes or answers itself: MSET's whole key-value pairs, and PING's
     * one message at most.
     */
    public boolean acceptsArgCount(int argCount) {
        if (arity >= 0 ? argCount != arity : argCount < -arity) {
            return false;
        }
        return switch (this) {
            case MSET -> argCount % 2 == 1;
            case PING -> argCount <= 2;
            default -> true;
        };
    }

    /** {@code -ERR wrong number of arguments for '<name>' command}, without CRLF. */
    public String arityError() {
        return arityError;
    }

    /** {@code -ERR unsupported command '<name>': <reason>}, without CRLF; null unless refused. */
    public String refusalError() {
        return refusalError;
    }

    /**
     * For {@link Routing#KEY}: whether a request of {@code argCount} arguments has the key it is routed by
     * (only EVAL and EVALSHA may have none: their keys are optional, and twemproxy refuses them without).
     */
    public boolean hasRoutingKey(int argCount) {
        return keyIndex < argCount;
    }

    /** The error for a request without a routing key ({@link #hasRoutingKey} false), without CRLF. */
    public String noKeyError() {
        return noKeyError;
    }

    /** Whether a client that has not authenticated may send it: AUTH itself, and QUIT. */
    public boolean allowedBeforeAuth() {
        return this == AUTH || this == QUIT;
    }

    private boolean named(Buffer in, int index, int length) {
        if (length != name.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (lowerCase(in.get(index + i)) != name[i]) {
                return false;
            }
        }
        return true;
    }

    /** FNV-1a over the lower-cased bytes: the table's slot. */
    private static int hash(Buffer in, int index, int length) {
        int hash = 0x811c9dc5;
        for (int i = 0; i < length; i++) {
            hash = (hash ^ lowerCase(in.get(index + i))) * 0x01000193;
        }
        return hash ^ (hash >>> 16);
    }

    /** ASCII only, as redis-server's case-insensitive command lookup. */
    private static int lowerCase(byte b) {
        return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
    }
}
