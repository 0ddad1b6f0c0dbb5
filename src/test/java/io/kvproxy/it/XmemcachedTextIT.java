package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.rubyeye.xmemcached.GetsResponse;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.command.TextCommandFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real client library (xmemcached, text protocol) sees kvproxy as one memcached holding every key. */
@Timeout(60)
class XmemcachedTextIT {

    @TempDir
    static Path dir;
    static final List<MemcachedServer> servers = new ArrayList<>();
    static KvproxyProcess proxy;
    static MemcachedClient client;

    @BeforeAll
    static void start() throws Exception {
        proxy = KvproxyProcess.startOverMaster(dir, servers, 3, "");
        int port = proxy.port();
        XMemcachedClientBuilder builder = new XMemcachedClientBuilder(List.of(new InetSocketAddress("127.0.0.1", port)));
        builder.setCommandFactory(new TextCommandFactory());
        builder.setConnectionPoolSize(1);
        builder.setOpTimeout(5000);
        client = builder.build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.shutdown();
        }
        KvproxyProcess.stopAll(proxy, servers);
    }

    @Test
    void everyCommand() throws Exception {
        assertTrue(client.set("x:a", 0, "alpha"));
        assertEquals("alpha", client.get("x:a"));
        assertFalse(client.add("x:a", 0, "again"));
        assertTrue(client.add("x:b", 0, "beta"));
        assertTrue(client.replace("x:b", 0, "BETA"));
        assertFalse(client.replace("x:none", 0, "nothing"));
        assertTrue(client.append("x:a", "!"));
        assertTrue(client.prepend("x:a", "<"));
        assertEquals("<alpha!", client.get("x:a"));
        GetsResponse<String> gets = client.gets("x:a");
        assertFalse(client.cas("x:a", 0, "wrong", gets.getCas() + 1));
        assertTrue(client.cas("x:a", 0, "right", gets.getCas()));
        assertEquals("right", client.get("x:a"));
        assertEquals(7, client.incr("x:n", 5, 7));
        assertEquals(12, client.incr("x:n", 5));
        assertEquals(10, client.decr("x:n", 2));
        assertTrue(client.touch("x:a", 100));
        assertTrue(client.delete("x:b"));
        assertNull(client.get("x:b"));
        Map<java.net.InetSocketAddress, String> versions = client.getVersions();
        assertEquals("1.6.18", versions.values().iterator().next());
        Map<InetSocketAddress, Map<String, String>> stats = client.getStats();
        assertTrue(stats.values().iterator().next().containsKey("curr_connections"));
        client.setWithNoReply("x:nr", 0, "quiet");
        assertEquals("quiet", client.get("x:nr"));
    }

    @Test
    void multiGetOfManyKeysAcrossServers() throws Exception {
        Map<String, String> written = new LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            written.put("xm:" + i, "value " + i);
            assertTrue(client.set("xm:" + i, 0, "value " + i));
        }
        List<String> keys = new ArrayList<>(written.keySet());
        keys.add("xm:missing");
        Map<String, String> read = client.get(keys);
        assertEquals(written, read);
        Map<String, GetsResponse<String>> withCas = client.gets(keys);
        assertEquals(200, withCas.size());
    }

    @Test
    void flushAll() throws Exception {
        assertTrue(client.set("xf:a", 0, "a"));
        client.flushAll();
        assertNull(client.get("xf:a"));
    }
}
