package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The Redis extension end to end: real redis-server processes on free loopback ports, the real daemon
 * with a pool of {@code extension = redis.jar}, and real clients (Jedis, redis-cli, raw RESP): every data
 * type, split MGET/MSET/DEL over three servers, pipelining, hosts_read, AUTH to the proxy and from it, redis_db,
 * refused commands, a server killed and its keys served by the others, replication to hosts_backup
 * (relative expiries as the master's deadlines, with the backup stalled).
 */
@Timeout(120)
class RedisIT {

    /** How long the backup is stalled while the writes are made. */
    private static final long STALL_MILLIS = 3000;
    /** The writes' TTL: they expire a few seconds after the backup has resumed. */
    private static final long TTL_MILLIS = 6000;
    /** How far the backup's deadline may be from the master's: the proxy's time to send the master the write. */
    private static final long DEADLINE_TOLERANCE_MILLIS = 25;

    @TempDir
    Path dir;
    final List<RedisServer> servers = new ArrayList<>();
    KvproxyProcess proxy;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
        }
        for (RedisServer server : servers) {
            server.close();
            assertFalse(server.isAlive(), "redis-server " + server.address() + " still running");
        }
    }

    private List<RedisServer> startServers(int count, String password) throws Exception {
        List<RedisServer> started = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RedisServer server = RedisServer.start(password);
            servers.add(server);
            started.add(server);
        }
        return started;
    }

    private static String cluster(String name, List<RedisServer> members) {
        return KvproxyProcess.cluster(name, members);
    }

    /** The daemon over the {@code master} cluster of {@code clusters} as {@code hosts}, {@code poolExtra} lines in the pool. */
    private void startProxy(String kvproxyExtra, String poolExtra, String clusters) throws Exception {
        int port = MemcachedServer.freePort();
        proxy = KvproxyProcess.start(dir, port, KvproxyProcess.config(port, dir, kvproxyExtra,
                "[redis]\nextension = redis.jar\nhosts = master\n" + poolExtra + "\n" + clusters));
    }

    private Jedis client() {
        return new Jedis("127.0.0.1", proxy.port(), 5000);
    }

    private static Jedis direct(RedisServer server) {
        return new Jedis("127.0.0.1", server.port(), 5000);
    }

    @Test
    void everyDataTypeThroughTheProxy() throws Exception {
        List<RedisServer> masters = startServers(3, null);
        startProxy("", "", cluster("master", masters));
        try (Jedis jedis = client()) {
            assertEquals("PONG", jedis.ping());
            assertEquals("hello", jedis.echo("hello"));
            assertEquals("OK", jedis.set("string", "value"));
            assertEquals("value", jedis.get("string"));
            assertEquals(10, jedis.append("string", "-more"));
            assertEquals("value-more", jedis.get("string"));
            assertNull(jedis.get("missing"));
            assertEquals(1, jedis.incr("counter"));
            assertEquals(11, jedis.incrBy("counter", 10));
            assertEquals(10, jedis.decr("counter"));
            assertEquals(1, jedis.hset("hash", "field", "1"));
            assertEquals(1, jedis.hset("hash", "other", "2"));
            assertEquals(Map.of("field", "1", "other", "2"), jedis.hgetAll("hash"));
            assertEquals(3, jedis.hincrBy("hash", "field", 2));
            assertEquals(3, jedis.rpush("list", "a", "b", "c"));
            assertEquals(List.of("a", "b", "c"), jedis.lrange("list", 0, -1));
            assertEquals("a", jedis.lpop("list"));
            assertEquals(2, jedis.sadd("set", "x", "y", "x"));
            assertEquals(Set.of("x", "y"), jedis.smembers("set"));
            assertTrue(jedis.sismember("set", "y"));
            assertEquals(1, jedis.zadd("zset", 2.0, "two"));
            assertEquals(1, jedis.zadd("zset", 1.0, "one"));
            assertEquals(List.of("one", "two"), jedis.zrange("zset", 0, -1));
            assertEquals(2.0, jedis.zscore("zset", "two"));
            assertEquals("OK", jedis.setex("expiring", 100, "soon"));
            long ttl = jedis.ttl("expiring");
            assertTrue(ttl > 90 && ttl <= 100, "ttl " + ttl);
            assertEquals(1, jedis.pexpire("string", 50));
            assertTrue(Await.until(Duration.ofSeconds(5), () -> jedis.get("string") == null), "the key never expired");
            assertEquals("hash", jedis.type("hash"));
        }
    }

    @Test
    void multiKeyCommandsAreSplitOverThreeServersAndMerged() throws Exception {
        List<RedisServer> masters = startServers(3, null);
        startProxy("", "", cluster("master", masters));
        int keys = 30;
        String[] pairs = new String[keys * 2];
        String[] names = new String[keys];
        for (int i = 0; i < keys; i++) {
            names[i] = "key:" + i;
            pairs[2 * i] = names[i];
            pairs[2 * i + 1] = "value:" + i;
        }
        try (Jedis jedis = client()) {
            assertEquals("OK", jedis.mset(pairs));
            String[] asked = new String[keys + 1];
            System.arraycopy(names, 0, asked, 0, keys);
            asked[keys] = "absent";
            List<String> values = jedis.mget(asked);
            for (int i = 0; i < keys; i++) {
                assertEquals("value:" + i, values.get(i));
            }
            assertNull(values.get(keys));
            assertEquals(keys, jedis.exists(names));
            // Every key lives on exactly one server, and all three servers hold some.
            int total = 0;
            for (RedisServer server : masters) {
                try (Jedis one = direct(server)) {
                    long held = one.dbSize();
                    assertTrue(held > 0, server.address() + " holds none of the " + keys + " keys");
                    total += held;
                }
            }
            assertEquals(keys, total);
            assertEquals(keys / 2, jedis.del(java.util.Arrays.copyOf(names, keys / 2)));
            assertEquals(keys - keys / 2, jedis.unlink(java.util.Arrays.copyOfRange(names, keys / 2, keys)));
            assertEquals(0, jedis.exists(names));
        }
    }

    @Test
    void pipelinedRepliesComeInRequestOrder() throws Exception {
        List<RedisServer> masters = startServers(3, null);
        startProxy("", "", cluster("master", masters));
        try (Jedis jedis = client()) {
            Pipeline pipeline = jedis.pipelined();
            List<Response<String>> gets = new ArrayList<>();
            List<Response<List<String>>> mgets = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                pipeline.set("p" + i, "v" + i);
                gets.add(pipeline.get("p" + i));
                mgets.add(pipeline.mget("p" + i, "p" + (i / 2), "nothing"));
            }
            pipeline.sync();
            for (int i = 0; i < 500; i++) {
                assertEquals("v" + i, gets.get(i).get());
                assertEquals(java.util.Arrays.asList("v" + i, "v" + (i / 2), null), mgets.get(i).get());
            }
        }
    }

    @Test
    void refusedAndUnknownCommandsGetAnErrorAndTheConnectionStaysOpen() throws Exception {
        List<RedisServer> masters = startServers(2, null);
        startProxy("", "", cluster("master", masters));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 2000);
            socket.setSoTimeout(5000);
            String replies = exchange(socket, "KEYS *\r\nSELECT 1\r\nMULTI\r\nNOSUCH a\r\nGET\r\nPING\r\n", 6);
            assertEquals("-ERR unsupported command 'keys': it would see the keys of one server only\r\n"
                    + "-ERR unsupported command 'select': the pool's database is chosen by redis_db\r\n"
                    + "-ERR unsupported command 'multi': a transaction cannot span the servers of a pool\r\n"
                    + "-ERR unknown command 'NOSUCH', with args beginning with: 'a' \r\n"
                    + "-ERR wrong number of arguments for 'get' command\r\n"
                    + "+PONG\r\n", replies);
            // What Jedis, redis-py and go-redis send on connect is answered as redis-server 7.2 does.
            replies = exchange(socket, "CLIENT SETINFO LIB-NAME jedis\r\nclient setinfo lib-ver 5.1.0\r\n"
                    + "*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$8\r\nlib-name\r\n$3\r\na b\r\n"
                    + "CLIENT SETINFO color red\r\nCLIENT SETINFO LIB-VER 1 0\r\nCLIENT LIST\r\nCLIENT\r\n", 7);
            assertEquals("+OK\r\n+OK\r\n"
                    + "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
                    + "-ERR Unrecognized option 'color'\r\n"
                    + "-ERR wrong number of arguments for 'client|setinfo' command\r\n"
                    + "-ERR unsupported command 'client': the connection's state belongs to the proxy\r\n"
                    + "-ERR wrong number of arguments for 'client' command\r\n", replies);
        }
    }

    @Test
    void redisCliThroughTheProxy() throws Exception {
        List<RedisServer> masters = startServers(2, null);
        startProxy("", "", cluster("master", masters));
        String cli = MemcachedServer.find("redis-cli");
        assertEquals("OK", run(cli, "-p", Integer.toString(proxy.port()), "set", "cli", "works"));
        assertEquals("works", run(cli, "-p", Integer.toString(proxy.port()), "get", "cli"));
        assertEquals("1", run(cli, "-p", Integer.toString(proxy.port()), "del", "cli"));
    }

    @Test
    void clientsAuthenticateToTheProxyAndTheProxyToPasswordProtectedServers() throws Exception {
        List<RedisServer> masters = startServers(2, "s3cret");
        startProxy("", "redis_auth = s3cret\n", cluster("master", masters));
        try (Jedis jedis = client()) {
            JedisDataException refused = assertThrows(JedisDataException.class, () -> jedis.get("k"));
            assertEquals("NOAUTH Authentication required", refused.getMessage());
            JedisDataException wrong = assertThrows(JedisDataException.class, () -> jedis.auth("wrong"));
            assertEquals("ERR invalid password", wrong.getMessage());
            assertEquals("OK", jedis.auth("s3cret"));
            assertEquals("OK", jedis.set("k", "v"));
            assertEquals("v", jedis.get("k"));
            assertEquals("OK", jedis.mset("a", "1", "b", "2", "c", "3"));
            assertEquals(List.of("1", "2", "3"), jedis.mget("a", "b", "c"));
        }
    }

    @Test
    void readsGoToHostsReadAndWritesToHosts() throws Exception {
        RedisServer master = startServers(1, null).get(0);
        RedisServer reader = startServers(1, null).get(0);
        try (Jedis direct = direct(reader)) {
            assertEquals("OK", direct.set("shared", "from the read cluster"));
        }
        startProxy("", "hosts_read = reader\n", cluster("master", List.of(master)) + cluster("reader", List.of(reader)));
        try (Jedis jedis = client()) {
            assertEquals("from the read cluster", jedis.get("shared"));
            assertEquals(List.of("from the read cluster"), jedis.mget("shared"));
            assertEquals("OK", jedis.set("written", "to the master"));
        }
        try (Jedis toMaster = direct(master); Jedis toReader = direct(reader)) {
            assertEquals("to the master", toMaster.get("written"));
            assertNull(toReader.get("written"));
        }
    }

    /** The probe of an ejected password-protected server authenticates first, so the server can rejoin. */
    @Test
    void anEjectedPasswordProtectedServerRejoinsThroughAnAuthenticatedProbe() throws Exception {
        List<RedisServer> masters = startServers(2, "s3cret");
        startProxy("recv_timeout = 300\nfailover_threshold = 2\nfailover_interval = 1", "redis_auth = s3cret\n",
                cluster("master", masters));
        int port = masters.get(1).port();
        masters.get(1).close();
        try (Jedis jedis = client()) {
            assertEquals("OK", jedis.auth("s3cret"));
            assertTrue(Await.until(Duration.ofSeconds(15), () -> proxy.log().contains("ejected")), proxy.log());
            servers.add(RedisServer.startOn(port, "s3cret"));
            assertTrue(Await.until(Duration.ofSeconds(15), () -> proxy.log().contains("rejoined")),
                    "the restarted server never rejoined:\n" + proxy.log());
            for (int i = 0; i < 30; i++) {
                assertEquals("OK", jedis.set("j" + i, "v"));
            }
        }
        try (Jedis back = direct(servers.get(servers.size() - 1))) {
            assertEquals("OK", back.auth("s3cret"));
            assertTrue(back.dbSize() > 0, "the server that rejoined holds none of the keys");
        }
    }

    @Test
    void redisDbIsSelectedOnEveryBackendConnection() throws Exception {
        List<RedisServer> masters = startServers(1, null);
        startProxy("", "redis_db = 3\n", cluster("master", masters));
        try (Jedis jedis = client()) {
            assertEquals("OK", jedis.set("in-db-3", "yes"));
        }
        try (Jedis one = direct(masters.get(0))) {
            assertNull(one.get("in-db-3"));
            one.select(3);
            assertEquals("yes", one.get("in-db-3"));
        }
    }

    @Test
    void aKilledServerIsEjectedAndItsKeysServedByTheOthers() throws Exception {
        List<RedisServer> masters = startServers(3, null);
        startProxy("recv_timeout = 300\nfailover_threshold = 2\nfailover_interval = 1", "", cluster("master", masters));
        try (Jedis jedis = client()) {
            for (int i = 0; i < 30; i++) {
                assertEquals("OK", jedis.set("e" + i, "v"));
            }
            masters.get(1).close();
            // Until it is out of the ring, its keys get an error; then every key is writable again.
            assertTrue(Await.until(Duration.ofSeconds(15), () -> {
                try {
                    for (int i = 0; i < 30; i++) {
                        jedis.set("e" + i, "again");
                    }
                    return true;
                } catch (JedisDataException e) {
                    return false;
                }
            }), "the killed server's keys were never served by the others:\n" + proxy.log());
            for (int i = 0; i < 30; i++) {
                assertEquals("again", jedis.get("e" + i));
            }
            assertTrue(proxy.log().contains("ejected"), proxy.log());
        }
    }

    /**
     * A server kept busy by a script answers every request {@code -BUSY}: that is no answer about the key
     * but a failing server, so it is ejected after failover_threshold such replies and its keys are served
     * by the other server, as a dead one's would be.
     */
    @Test
    void aServerAnsweringBusyIsEjectedLikeADeadOne() throws Exception {
        RedisServer busy = RedisServer.start(null, "--busy-reply-threshold", "50");
        servers.add(busy);
        List<RedisServer> masters = List.of(busy, startServers(1, null).get(0));
        startProxy("recv_timeout = 2000\nfailover_threshold = 2\nfailover_interval = 1", "", cluster("master", masters));
        try (Socket script = new Socket("127.0.0.1", busy.port()); Jedis jedis = client()) {
            script.getOutputStream().write("EVAL \"while true do end\" 0\r\n".getBytes(StandardCharsets.US_ASCII));
            script.getOutputStream().flush();
            List<String> busyReplies = new ArrayList<>();
            assertTrue(Await.until(Duration.ofSeconds(15), () -> {
                try {
                    for (int i = 0; i < 30; i++) {
                        jedis.set("b" + i, "v");
                    }
                    return true;
                } catch (JedisDataException e) {
                    busyReplies.add(e.getMessage());
                    return false;
                }
            }), "the busy server's keys were never served by the other:\n" + proxy.log());
            assertTrue(busyReplies.stream().anyMatch(reply -> reply.startsWith("BUSY ")), busyReplies.toString());
            assertTrue(proxy.log().contains("ejected"), proxy.log());
            try (Jedis direct = direct(busy)) {
                assertEquals("OK", direct.scriptKill());
            }
        }
    }

    @Test
    void writesAreReplicatedToTheBackup() throws Exception {
        List<RedisServer> masters = startServers(2, null);
        List<RedisServer> backup = startServers(1, null);
        startProxy("", "hosts_backup = backup\nsync_str = sync:\n", cluster("master", masters) + cluster("backup", backup));
        try (Jedis jedis = client()) {
            assertEquals("OK", jedis.set("async:key", "1"));
            assertEquals("OK", jedis.set("sync:key", "2"));
            assertEquals("OK", jedis.mset("m1", "a", "m2", "b", "m3", "c"));
            assertEquals(3, jedis.rpush("list", "x", "y", "z"));
            assertEquals(1, jedis.del("m3"));
        }
        try (Jedis copy = direct(backup.get(0))) {
            // The synchronous write was on the backup before the client had its +OK.
            assertEquals("2", copy.get("sync:key"));
            assertTrue(Await.until(Duration.ofSeconds(5), () -> "1".equals(copy.get("async:key"))
                    && "a".equals(copy.get("m1")) && "b".equals(copy.get("m2")) && copy.get("m3") == null
                    && copy.llen("list") == 3), "the backup never got the writes");
            assertEquals(List.of("x", "y", "z"), copy.lrange("list", 0, -1));
        }
    }

    /**
     * A backup that lost keys (here deleted on it directly, as a restart or a repair leaves it) is never
     * left holding a value the master did not have: an APPEND or RPUSH that the backup would apply to
     * nothing, or a HINCRBY that would count from nothing there, leaves it without the key (the replica
     * fails, and the key is repaired), SETBIT reaches it as a DEL, a float increment
     * reaches it as the master's new value, and a synchronous APPEND's client is told the backup failed.
     */
    @Test
    void aBackupThatLostAKeyHoldsTheMastersValueOrNothingAfterWritesThatBuildOnIt() throws Exception {
        RedisServer master = startServers(1, null).get(0);
        RedisServer backup = startServers(1, null).get(0);
        startProxy("", "hosts_backup = backup\nsync_str = sync:\n", cluster("master", List.of(master)) + cluster("backup", List.of(backup)));
        try (Jedis jedis = client(); Jedis copy = direct(backup)) {
            assertEquals("OK", jedis.set("text", "hello"));
            assertEquals("OK", jedis.set("sync:text", "hello"));
            assertEquals(3, jedis.rpush("list", "a", "b", "c"));
            assertEquals(1.5, jedis.incrByFloat("float", 1.5));
            assertEquals(2, jedis.hset("hash", Map.of("f", "40", "g", "x")));
            assertTrue(Await.until(Duration.ofSeconds(5), () -> "hello".equals(copy.get("text"))
                    && copy.llen("list") == 3 && "1.5".equals(copy.get("float")) && copy.hlen("hash") == 2),
                    "the backup never got the writes");
            assertEquals(5, copy.del("text", "sync:text", "list", "float", "hash"));

            assertEquals(11, jedis.append("text", " world"));
            assertEquals(4, jedis.rpush("list", "d"));
            assertEquals(2.5, jedis.incrByFloat("float", 1));
            assertEquals(42, jedis.hincrBy("hash", "f", 2));
            assertFalse(jedis.setbit("bits", 3, true));
            JedisDataException refused = assertThrows(JedisDataException.class, () -> jedis.append("sync:text", " world"));
            assertEquals("ERR backup write failed", refused.getMessage());
            // The master took every write.
            assertEquals("hello world", jedis.get("text"));
            assertEquals("hello world", jedis.get("sync:text"));
            assertEquals(List.of("a", "b", "c", "d"), jedis.lrange("list", 0, -1));

            // The replicas are answered, the failed ones' keys repaired (deleted on the backup) within 100 ms.
            assertTrue(Await.until(Duration.ofSeconds(5), () -> "2.5".equals(copy.get("float"))
                    && copy.get("text") == null && copy.get("sync:text") == null && !copy.exists("list")
                    && !copy.exists("hash")), "the backup holds text=" + copy.get("text") + " sync:text="
                    + copy.get("sync:text") + " list=" + copy.lrange("list", 0, -1) + " float=" + copy.get("float")
                    + " hash=" + copy.hgetAll("hash"));
            assertFalse(copy.exists("bits"), "SETBIT reaches the backup as a DEL");
            // Once the backup holds the master's value again, the same writes are applied there.
            assertEquals("OK", jedis.set("text", "hello"));
            assertEquals(11, jedis.append("text", " world"));
            assertTrue(Await.until(Duration.ofSeconds(5), () -> "hello world".equals(copy.get("text"))),
                    "the backup holds " + copy.get("text"));
        }
    }

    private static ProtocolCommand command(String spelling) {
        byte[] raw = spelling.getBytes(StandardCharsets.US_ASCII);
        return () -> raw;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A write with a relative expiry reaches the backup as the absolute deadline the proxy computed when it
     * sent the master the write: with the backup stalled (SIGSTOP) for seconds while the writes are made,
     * its copies still expire when the master's do, for asynchronous and {@code sync_str} keys, every
     * command and spelling that takes a relative TTL. Writes the master refuses for their TTL reach the
     * backup in no form.
     */
    @Test
    void relativeExpiriesReachAStalledBackupAsTheMastersDeadlines() throws Exception {
        RedisServer master = startServers(1, null).get(0);
        RedisServer backup = startServers(1, null).get(0);
        // A recv_timeout longer than the stall: the replicas wait for the backup instead of failing.
        startProxy("recv_timeout = 20000", "hosts_backup = backup\nsync_str = sync:\n",
                cluster("master", List.of(master)) + cluster("backup", List.of(backup)));
        String ttl = Long.toString(TTL_MILLIS / 1000);
        String ttlMillis = Long.toString(TTL_MILLIS);
        try (Jedis client = new Jedis("127.0.0.1", proxy.port(), 30_000); Jedis onMaster = direct(master);
                Jedis onBackup = direct(backup)) {
            // Warm up: both of the worker's backup connections are open before the backup stalls.
            assertEquals("OK", client.set("warm", "1"));
            assertEquals("OK", client.set("sync:warm", "1"));
            assertEquals("OK", client.set("a:expire", "v"));
            assertEquals("OK", client.set("a:pexpire", "v"));
            assertEquals("OK", client.set("a:getex", "v"));
            assertEquals("OK", client.set("a:getexpx", "v"));
            assertEquals("OK", client.set("sync:expire", "v"));
            assertEquals("OK", client.set("a:gone", "v"));
            assertEquals("OK", client.set("source", "restored"));
            byte[] payload = client.dump("source");
            assertTrue(Await.until(Duration.ofSeconds(5), () -> "v".equals(onBackup.get("a:gone"))), "the backup has the warm-up writes");

            Signals.stop(backup.pid());
            long stalledAt = System.currentTimeMillis();
            Pipeline pipeline = client.pipelined();
            Map<String, String> expiring = new LinkedHashMap<>();
            expiring.put("a:set", "SET a:set v EX");
            pipeline.sendCommand(command("SET"), "a:set", "v", "EX", ttl);
            expiring.put("a:setpx", "set px nx");
            pipeline.sendCommand(command("set"), "a:setpx", "v", "px", ttlMillis, "nx");
            expiring.put("a:setget", "SET GET ex, GET first");
            pipeline.sendCommand(command("Set"), "a:setget", "v", "GET", "ex", ttl);
            expiring.put("a:twice", "SET EX abc EX n: the last counts");
            pipeline.sendCommand(command("SET"), "a:twice", "v", "EX", "abc", "EX", ttl);
            expiring.put("a:setex", "SETEX");
            pipeline.sendCommand(command("SETEX"), "a:setex", ttl, "v");
            expiring.put("a:psetex", "psetex");
            pipeline.sendCommand(command("psetex"), "a:psetex", ttlMillis, "v");
            expiring.put("a:expire", "EXPIRE");
            pipeline.sendCommand(command("EXPIRE"), "a:expire", ttl);
            expiring.put("a:pexpire", "pexpire NX");
            pipeline.sendCommand(command("pexpire"), "a:pexpire", ttlMillis, "NX");
            expiring.put("a:getex", "GETEX EX");
            pipeline.sendCommand(command("GETEX"), "a:getex", "EX", ttl);
            expiring.put("a:getexpx", "getex px");
            pipeline.sendCommand(command("getex"), "a:getexpx", "px", ttlMillis);
            expiring.put("a:restore", "RESTORE");
            pipeline.sendCommand(command("RESTORE"), bytes("a:restore"), bytes(ttlMillis), payload);
            expiring.put("sync:set", "SET EX, sync");
            pipeline.sendCommand(command("SET"), "sync:set", "v", "EX", ttl);
            expiring.put("sync:setex", "SETEX, sync");
            pipeline.sendCommand(command("setex"), "sync:setex", ttl, "v");
            expiring.put("sync:expire", "EXPIRE LT, sync");
            pipeline.sendCommand(command("expire"), "sync:expire", ttl, "LT");
            expiring.put("sync:restore", "restore REPLACE, sync");
            pipeline.sendCommand(command("restore"), bytes("sync:restore"), bytes(ttlMillis), payload, bytes("REPLACE"));
            // Refused by the master for their TTL: nothing of them may reach the backup.
            pipeline.sendCommand(command("SET"), "a:refused", "v", "EX", "-5");
            pipeline.sendCommand(command("SETEX"), "a:refused", "0", "v");
            pipeline.sendCommand(command("SET"), "a:refused", "v", "EX", ttl, "PX", "10");
            pipeline.sendCommand(command("SET"), "sync:refused", "v", "PX", "abc");
            pipeline.sendCommand(command("EXPIRE"), "a:set", "abc");
            // A TTL in the past deletes the key on the master, and so on the backup.
            pipeline.sendCommand(command("EXPIRE"), "a:gone", "-1");
            pipeline.sendCommand(command("SET"), "a:last", "v");
            // The replies wait for the sync keys' replicas, which wait for the stalled backup.
            CompletableFuture<List<Object>> replies = CompletableFuture.supplyAsync(pipeline::syncAndReturnAll);
            assertTrue(Await.until(Duration.ofSeconds(5), () -> onMaster.exists("a:last")), "the master took the writes");
            Thread.sleep(Math.max(0, stalledAt + STALL_MILLIS - System.currentTimeMillis()));
            Signals.send("CONT", backup.pid());
            List<Object> answers = replies.get();
            long resumedAt = System.currentTimeMillis();

            List<Object> expected = new ArrayList<>();
            for (String key : expiring.keySet()) {
                expected.add(key.equals("a:setget") ? null : key.contains("expire") ? (Object) 1L : key.contains("getex") ? "v" : "OK");
            }
            for (int i = 0; i < expected.size(); i++) {
                Object answer = answers.get(i);
                Object text = answer instanceof byte[] raw ? new String(raw, StandardCharsets.US_ASCII) : answer;
                assertEquals(expected.get(i), text, "the reply to " + expiring.values().toArray()[i]);
            }
            for (int i = expected.size(); i < expected.size() + 5; i++) {
                assertInstanceOf(JedisDataException.class, answers.get(i), "refused: reply " + i);
            }
            assertEquals(1L, answers.get(expected.size() + 5), "EXPIRE -1 deleted the key");

            assertTrue(Await.until(Duration.ofSeconds(5), () -> onBackup.exists("a:last")), "the backup got the replicas");
            assertTrue(resumedAt - stalledAt >= STALL_MILLIS, "the backup was stalled " + (resumedAt - stalledAt) + " ms");
            StringBuilder deadlines = new StringBuilder();
            for (Map.Entry<String, String> entry : expiring.entrySet()) {
                String key = entry.getKey();
                long onMasterAt = onMaster.pexpireTime(key);
                long onBackupAt = onBackup.pexpireTime(key);
                deadlines.append(key).append(' ').append(onMasterAt - onBackupAt).append(" ms; ");
                assertTrue(onMasterAt > stalledAt + TTL_MILLIS - 1000, entry.getValue() + ": the master's deadline " + onMasterAt);
                assertTrue(Math.abs(onMasterAt - onBackupAt) <= DEADLINE_TOLERANCE_MILLIS, entry.getValue()
                        + ": the backup's deadline is " + (onBackupAt - onMasterAt) + " ms from the master's");
            }
            System.out.println("RedisIT: relative expiries, the master's deadline minus the backup's: " + deadlines);
            assertEquals("restored", onBackup.get("a:restore"));
            for (Jedis server : List.of(onMaster, onBackup)) {
                assertFalse(server.exists("a:refused"), "a write the master refused is nowhere");
                assertFalse(server.exists("sync:refused"), "a write the master refused is nowhere");
                assertFalse(server.exists("a:gone"), "EXPIRE -1 deleted the key");
            }

            // Every key vanishes from both at the same moment: their gone-times, polled together, agree.
            Map<String, Long> goneFromMaster = new LinkedHashMap<>();
            Map<String, Long> goneFromBackup = new LinkedHashMap<>();
            long giveUp = System.currentTimeMillis() + TTL_MILLIS + 5000;
            while (goneFromBackup.size() < expiring.size() || goneFromMaster.size() < expiring.size()) {
                assertTrue(System.currentTimeMillis() < giveUp, "keys left: master " + goneFromMaster + ", backup " + goneFromBackup);
                for (String key : expiring.keySet()) {
                    long now = System.currentTimeMillis();
                    if (!goneFromMaster.containsKey(key) && !onMaster.exists(key)) {
                        goneFromMaster.put(key, now);
                    }
                    if (!goneFromBackup.containsKey(key) && !onBackup.exists(key)) {
                        goneFromBackup.put(key, now);
                    }
                }
                Thread.sleep(1);
            }
            for (String key : expiring.keySet()) {
                long apart = Math.abs(goneFromMaster.get(key) - goneFromBackup.get(key));
                assertTrue(apart <= 100, expiring.get(key) + ": gone from the master and the backup " + apart + " ms apart");
            }
        }
    }
    /** Sends {@code requests} on {@code socket} and reads {@code lines} reply lines. */
    private static String exchange(Socket socket, String requests, int lines) throws Exception {
        OutputStream output = socket.getOutputStream();
        output.write(requests.getBytes(StandardCharsets.US_ASCII));
        output.flush();
        InputStream input = socket.getInputStream();
        StringBuilder read = new StringBuilder();
        int seen = 0;
        while (seen < lines) {
            int b = input.read();
            if (b < 0) {
                throw new IllegalStateException("connection closed after " + read);
            }
            read.append((char) b);
            if (b == '\n') {
                seen++;
            }
        }
        return read.toString();
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + output);
        return output;
    }
}
