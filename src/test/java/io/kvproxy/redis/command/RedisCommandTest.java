package io.kvproxy.redis.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.redis.command.RedisCommand.Access;
import io.kvproxy.redis.command.RedisCommand.Merge;
import io.kvproxy.redis.command.RedisCommand.Refusal;
import io.kvproxy.redis.command.RedisCommand.Routing;
import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The command table: lookup, coverage, routing, arity and the errors, against redis-server 7.0.15's words. */
@Timeout(30)
class RedisCommandTest {

    /** twemproxy 0.5's Redis commands (its msg_type list), without SELECT, which it refuses too. */
    private static final Set<String> TWEMPROXY = Set.of(("lolwut command auth quit ping evalsha eval geosearchstore geosearch"
            + " geopos georadiusbymember georadius geohash geodist geoadd zunionstore zscore zscan zunion zrevrank"
            + " zrevrangebyscore zrevrangebylex zrevrange zremrangebyscore zremrangebylex zremrangebyrank zrem zrank"
            + " zrangestore zrangebyscore zrangebylex zrange zrandmember zpopmax zpopmin zmscore zlexcount zinterstore"
            + " zinter zincrby zdiffstore zdiff zcount zcard zadd sscan sunionstore sunion srem srandmember spop smove"
            + " smembers smismember sismember sinterstore sinter sdiffstore sdiff scard sadd rpushx rpush rpoplpush rpop"
            + " pfmerge pfcount pfadd ltrim lset lrem lrange lpushx lpush lpos lpop lmove llen linsert lindex hvals"
            + " hstrlen hscan hsetnx hset hrandfield hmset hmget hlen hkeys hincrbyfloat hincrby hgetall hget hexists"
            + " hdel strlen setrange setnx setex setbit set restore psetex mset mget incrbyfloat incrby incr getset"
            + " getrange getex getdel getbit get dump decrby decr bitpos bitfield bitcount append unlink type ttl touch"
            + " sort pttl persist pexpireat pexpire expireat expire exists del copy").split(" "));

    private static RedisCommand lookup(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.ISO_8859_1);
        Buffer in = new Buffer(64, 64);
        in.put((byte) 'x').put(bytes);
        return RedisCommand.lookup(in, 1, bytes.length);
    }

    @Test
    void everyCommandIsFoundInAnyCaseAndNothingElseIs() {
        for (RedisCommand command : RedisCommand.values()) {
            String name = command.wireName();
            assertEquals(command, lookup(name), name);
            assertEquals(command, lookup(name.toUpperCase()), name);
            assertEquals(command, lookup(Character.toUpperCase(name.charAt(0)) + name.substring(1)), name);
        }
        for (String unknown : new String[] {"", "gett", "ge", "foo", "get ", "mult", "x".repeat(40), "gEt\u0000"}) {
            assertNull(lookup(unknown), unknown);
        }
        // Only ASCII letters fold: a Latin-1 byte is not a letter to redis-server.
        assertNull(lookup("g\u00c9t"));
    }

    @Test
    void servedCommandsAreTwemproxysWithEchoAndClientTheRestIsRefused() {
        Set<String> served = Arrays.stream(RedisCommand.values()).filter(c -> c.routing() != Routing.REFUSED)
                .map(RedisCommand::wireName).collect(Collectors.toCollection(TreeSet::new));
        Set<String> expected = new TreeSet<>(TWEMPROXY);
        expected.add("echo");
        // For CLIENT SETINFO, which client libraries send on connect; its other subcommands are refused.
        expected.add("client");
        assertEquals(expected, served);
        // Every command redis-server 7.0.15 lists (COMMAND), served or refused.
        assertEquals(240, RedisCommand.values().length);
    }

    @Test
    void routing() {
        assertEquals(Routing.KEY, lookup("get").routing());
        assertEquals(Access.READ, lookup("get").access());
        assertEquals(Access.WRITE, lookup("set").access());
        assertEquals(Access.WRITE, lookup("eval").access(), "neither read nor write: a write, to be safe");
        assertEquals(Access.WRITE, lookup("sort").access(), "SORT may STORE");
        assertEquals(1, lookup("hget").keyIndex());
        assertEquals(1, lookup("sinterstore").keyIndex(), "the destination is the first key");
        assertEquals(2, lookup("zunion").keyIndex(), "after numkeys");
        assertEquals(3, lookup("evalsha").keyIndex(), "after the script and numkeys");
        assertFalse(lookup("eval").hasRoutingKey(3));
        assertTrue(lookup("eval").hasRoutingKey(4));
        assertEquals("-ERR kvproxy routes 'eval' by its first key, and it was given none", lookup("eval").noKeyError());

        assertEquals(Merge.VALUES, lookup("mget").merge());
        assertEquals(Merge.OK, lookup("mset").merge());
        assertEquals(2, lookup("mset").keyStep());
        for (String sum : new String[] {"del", "unlink", "touch", "exists"}) {
            assertEquals(Routing.SPLIT, lookup(sum).routing(), sum);
            assertEquals(Merge.SUM, lookup(sum).merge(), sum);
            assertEquals(1, lookup(sum).keyStep(), sum);
        }
        for (String proxy : new String[] {"ping", "echo", "quit", "auth"}) {
            assertEquals(Routing.PROXY, lookup(proxy).routing(), proxy);
            assertEquals(Access.NONE, lookup(proxy).access(), proxy);
        }
        assertEquals(Routing.ANY_SERVER, lookup("command").routing());
        assertTrue(lookup("auth").allowedBeforeAuth());
        assertTrue(lookup("quit").allowedBeforeAuth());
        assertFalse(lookup("ping").allowedBeforeAuth(), "twemproxy: PING before AUTH is -NOAUTH");
    }

    @Test
    void arityAsRedisServerChecksIt() {
        assertTrue(lookup("get").acceptsArgCount(2));
        assertFalse(lookup("get").acceptsArgCount(1));
        assertFalse(lookup("get").acceptsArgCount(3));
        assertTrue(lookup("mget").acceptsArgCount(2));
        assertTrue(lookup("mget").acceptsArgCount(200));
        assertFalse(lookup("mget").acceptsArgCount(1));
        // MSET: pairs only (redis-server 7.0.15: "MSET a" and "MSET a b c" are both arity errors).
        assertTrue(lookup("mset").acceptsArgCount(3));
        assertTrue(lookup("mset").acceptsArgCount(5));
        assertFalse(lookup("mset").acceptsArgCount(2));
        assertFalse(lookup("mset").acceptsArgCount(4));
        assertTrue(lookup("ping").acceptsArgCount(1));
        assertTrue(lookup("ping").acceptsArgCount(2));
        assertFalse(lookup("ping").acceptsArgCount(3), "redis-server 7.0.15: PING a b is an arity error");
        assertTrue(lookup("quit").acceptsArgCount(2), "redis-server 7.0.15 answers QUIT x with +OK");
        assertFalse(lookup("echo").acceptsArgCount(1));
        // The exact texts redis-server 7.0.15 sent.
        assertEquals("-ERR wrong number of arguments for 'get' command", lookup("GET").arityError());
        assertEquals("-ERR wrong number of arguments for 'mset' command", lookup("mset").arityError());
        assertEquals("-ERR wrong number of arguments for 'exists' command", lookup("exists").arityError());
    }

    @Test
    void refusalsNameTheCommandAndWhy() {
        assertEquals(Refusal.SELECT, lookup("select").refusal());
        assertEquals("-ERR unsupported command 'select': the pool's database is chosen by redis_db", lookup("SELECT").refusalError());
        for (String transaction : new String[] {"multi", "exec", "discard", "watch", "unwatch"}) {
            assertEquals(Refusal.TRANSACTION, lookup(transaction).refusal(), transaction);
        }
        for (String pubsub : new String[] {"subscribe", "psubscribe", "publish", "unsubscribe", "pubsub", "ssubscribe"}) {
            assertEquals(Refusal.PUBSUB, lookup(pubsub).refusal(), pubsub);
        }
        for (String blocking : new String[] {"blpop", "brpop", "brpoplpush", "blmove", "bzpopmin", "bzpopmax", "xread"}) {
            assertEquals(Refusal.BLOCKING, lookup(blocking).refusal(), blocking);
        }
        for (String keyspace : new String[] {"keys", "scan", "randomkey", "dbsize"}) {
            assertEquals(Refusal.KEYSPACE, lookup(keyspace).refusal(), keyspace);
        }
        for (String admin : new String[] {"shutdown", "config", "flushall", "flushdb", "debug", "save", "bgsave", "info",
                "monitor", "slaveof", "replicaof", "script", "object", "slowlog"}) {
            assertEquals(Refusal.ADMIN, lookup(admin).refusal(), admin);
        }
        // CLIENT is the proxy's: SETINFO answered, the other subcommands refused by the session.
        assertEquals(Routing.PROXY, lookup("client").routing());
        for (String connection : new String[] {"hello", "reset", "wait", "readonly"}) {
            assertEquals(Refusal.CONNECTION, lookup(connection).refusal(), connection);
        }
        for (String other : new String[] {"rename", "msetnx", "bitop", "move", "xadd"}) {
            assertEquals(Refusal.OTHER, lookup(other).refusal(), other);
        }
        for (RedisCommand command : RedisCommand.values()) {
            boolean refused = command.routing() == Routing.REFUSED;
            assertEquals(refused, command.refusalError() != null, command.wireName());
            if (refused) {
                assertTrue(command.refusalError().startsWith("-ERR unsupported command '" + command.wireName() + "': "), command.wireName());
                assertEquals(Access.NONE, command.access(), command.wireName());
            }
        }
    }
}
