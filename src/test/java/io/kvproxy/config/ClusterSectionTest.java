package io.kvproxy.config;

import static io.kvproxy.config.IniFixture.assertProblems;
import static io.kvproxy.config.IniFixture.load;
import static io.kvproxy.config.IniFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Cluster sections: {@code host:port = "id:weight"} lines. */
class ClusterSectionTest {

    @TempDir
    Path dir;

    /** [memcached] naming [master] (line 4), whose servers start at line 5. */
    private Path cluster(String... servers) throws Exception {
        List<String> lines = new ArrayList<>(List.of("[memcached]", "extension = memcached.jar", "hosts = master", "[master]"));
        lines.addAll(Arrays.asList(servers));
        return write(dir, lines.toArray(String[]::new));
    }

    private List<ServerSpec> servers(String... servers) throws Exception {
        return load(cluster(servers), dir).pools().get(0).hosts().servers();
    }

    @Test
    @Timeout(10)
    void serversInFileOrderWithTheirLines() throws Exception {
        assertEquals(List.of(
                new ServerSpec("127.0.0.1", 11213, "3", 100, 5),
                new ServerSpec("cache-1.example.com", 11211, "1", 50, 6),
                new ServerSpec("localhost", 11212, "2", 0, 7)),
                servers("127.0.0.1:11213 = \"3:100\"", "cache-1.example.com:11211 = \"1:50\"", "localhost:11212 = \"2:0\""));
    }

    @Test
    @Timeout(10)
    void ipv6AddressesInBrackets() throws Exception {
        List<ServerSpec> servers = servers("[::1]:11211 = \"1:100\"", "[2001:db8::7]:11212 = 2:100");

        assertEquals(List.of(new ServerSpec("[::1]", 11211, "1", 100, 5), new ServerSpec("[2001:db8::7]", 11212, "2", 100, 6)), servers);
        assertEquals("[::1]:11211", servers.get(0).address());
    }

    @Test
    @Timeout(10)
    void idsMayBeNamesAndHoldColons() throws Exception {
        assertEquals(List.of(new ServerSpec("127.0.0.1", 11211, "shard-a:1", 10000, 5), new ServerSpec("127.0.0.1", 11212, "B_2.x", 1, 6)),
                servers("127.0.0.1:11211 = \"shard-a:1:10000\"", "127.0.0.1:11212 = \"B_2.x:1\""));
    }

    @ParameterizedTest
    @Timeout(10)
    @CsvSource(delimiter = '|', value = {
        "::1:11211 = \"1:1\"          | ::1:11211: an IPv6 address needs brackets, e.g. [::1]:11211",
        "[::1]11211 = \"1:1\"         | [::1]11211: expected [IPv6 address]:port, got \"[::1]11211\"",
        "[::1 = \"1:1\"               | [::1: expected [IPv6 address]:port, got \"[::1\"",
        "[zz::1]:11211 = \"1:1\"      | [zz::1]:11211: not an IPv6 address: \"zz::1\"",
        "[10.0.0.1]:11211 = \"1:1\"   | [10.0.0.1]:11211: not an IPv6 address: \"10.0.0.1\"",
        "127.0.0.1 = \"1:1\"          | 127.0.0.1: expected host:port, got \"127.0.0.1\"",
        ":11211 = \"1:1\"             | :11211: not an IP address or host name: \"\"",
        "1.2.3.256:11211 = \"1:1\"    | 1.2.3.256:11211: not an IP address or host name: \"1.2.3.256\"",
        "bad_host:11211 = \"1:1\"     | bad_host:11211: not an IP address or host name: \"bad_host\"",
        "127.0.0.1:0 = \"1:1\"        | 127.0.0.1:0: expected a port in 1..65535, got \"0\"",
        "127.0.0.1:65536 = \"1:1\"    | 127.0.0.1:65536: expected a port in 1..65535, got \"65536\"",
        "127.0.0.1: = \"1:1\"         | 127.0.0.1:: expected a port in 1..65535, got \"\"",
        "127.0.0.1:http = \"1:1\"     | 127.0.0.1:http: expected a port in 1..65535, got \"http\"",
        "127.0.0.1:11211 = \"1\"      | 127.0.0.1:11211: expected \"id:weight\", got \"1\"",
        "127.0.0.1:11211 = \":100\"   | 127.0.0.1:11211: expected \"id:weight\", got \":100\"",
        "127.0.0.1:11211 =            | 127.0.0.1:11211: expected \"id:weight\", got \"\"",
        "127.0.0.1:11211 = \"a b:1\"  | 127.0.0.1:11211: id \"a b\" may hold only letters, digits and _ . : -",
        "127.0.0.1:11211 = \"1:10001\" | 127.0.0.1:11211: expected a weight in 0..10000, got \"10001\"",
        "127.0.0.1:11211 = \"1:-1\"   | 127.0.0.1:11211: expected a weight in 0..10000, got \"-1\"",
        "127.0.0.1:11211 = \"1:\"     | 127.0.0.1:11211: expected a weight in 0..10000, got \"\"",
        "127.0.0.1:11211 = \"1:1.5\"  | 127.0.0.1:11211: expected a weight in 0..10000, got \"1.5\""})
    void badServerLineIsReportedOnItsLine(String line, String problem) throws Exception {
        assertProblems(cluster("127.0.0.1:11300 = \"0:100\"", line), ":6: [master] " + problem);
    }

    @Test
    @Timeout(10)
    void badAddressAndBadValueOnOneLineAreBothReported() throws Exception {
        assertProblems(cluster("127.0.0.1:0 = \"x y:1\""),
                ":5: [master] 127.0.0.1:0: expected a port in 1..65535, got \"0\"",
                ":5: [master] 127.0.0.1:0: id \"x y\" may hold only letters, digits and _ . : -");
    }

    @Test
    @Timeout(10)
    void duplicateIdNamesBothLines() throws Exception {
        assertProblems(cluster("127.0.0.1:11211 = \"1:100\"", "127.0.0.1:11212 = \"2:100\"", "127.0.0.1:11213 = \"1:100\""),
                ":7: [master] 127.0.0.1:11213: duplicate id \"1\", first at line 5");
    }

    @Test
    @Timeout(10)
    void duplicateAddressNamesBothLines() throws Exception {
        assertProblems(cluster("localhost:11211 = \"1:100\"", "127.0.0.1:11211 = \"2:100\"", "LOCALHOST:11211 = \"3:100\"",
                        "127.0.0.1:11211 = \"4:100\""),
                ":7: [master] LOCALHOST:11211: duplicate server address, first at line 5",
                ":8: [master] 127.0.0.1:11211: duplicate server address, first at line 6");
    }

    @Test
    @Timeout(10)
    void sameIdsInTwoClustersAreFine() throws Exception {
        Path file = write(dir,
                "[memcached]",
                "extension = memcached.jar",
                "hosts = master",
                "hosts_backup = backup",
                "[master]",
                "127.0.0.1:11211 = \"1:100\"",
                "[backup]",
                "127.0.0.1:11211 = \"1:100\"");

        PoolSettings extension = load(file, dir).pools().get(0);

        assertEquals(extension.hosts().servers(), List.of(new ServerSpec("127.0.0.1", 11211, "1", 100, 6)));
        assertEquals(extension.hostsBackup().orElseThrow().servers(), List.of(new ServerSpec("127.0.0.1", 11211, "1", 100, 8)));
    }

    @Test
    @Timeout(10)
    void clusterNeedsAServerWithWeight() throws Exception {
        assertProblems(cluster("127.0.0.1:11211 = \"1:0\"", "127.0.0.1:11212 = \"2:0\""),
                ":4: [master] no server with weight > 0: the cluster could take no keys");
    }

    @Test
    @Timeout(10)
    void emptyClusterIsRefused() throws Exception {
        assertProblems(cluster(), ":4: [master] no server with weight > 0: the cluster could take no keys");
    }

    @Test
    @Timeout(10)
    void unusedClusterIsOneProblemWhateverItHolds() throws Exception {
        assertProblems(cluster("127.0.0.1:11211 = \"1:100\"", "[kvprxy]", "port = 55669", "bind = 0.0.0.0"),
                ":6: cluster [kvprxy] is not used by hosts, hosts_backup or hosts_read");
    }
}
