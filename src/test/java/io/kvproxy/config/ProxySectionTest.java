package io.kvproxy.config;

import static io.kvproxy.config.IniFixture.assertProblems;
import static io.kvproxy.config.IniFixture.load;
import static io.kvproxy.config.IniFixture.writeWithExtension;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every {@code [kvproxy]} key: what it accepts, what it refuses and how the refusal reads. */
class ProxySectionTest {

    @TempDir
    Path dir;

    private ProxySettings loadProxy(String line) throws Exception {
        return load(writeWithExtension(dir, "[kvproxy]", line), dir).proxy();
    }

    /** Each bad value is reported on line 2, naming the value and the accepted range. */
    @ParameterizedTest
    @Timeout(10)
    @CsvSource(delimiter = '|', value = {
        "port = 0                  | port: expected an integer in 1..65535, got \"0\"",
        "port = 65536              | port: expected an integer in 1..65535, got \"65536\"",
        "port = -1                 | port: expected an integer in 1..65535, got \"-1\"",
        "port = 1.5                | port: expected an integer in 1..65535, got \"1.5\"",
        "port = 0x10               | port: expected an integer in 1..65535, got \"0x10\"",
        "port = +80                | port: expected an integer in 1..65535, got \"+80\"",
        "port = 8 0                | port: expected an integer in 1..65535, got \"8 0\"",
        "thread_count = 0          | thread_count: expected an integer in 1..1024, got \"0\"",
        "thread_count = 1025       | thread_count: expected an integer in 1..1024, got \"1025\"",
        "backlog = 0               | backlog: expected an integer >= 1, got \"0\"",
        "backlog = 99999999999     | backlog: expected an integer >= 1, got \"99999999999\"",
        "backlog = 9999999999999999999999 | backlog: expected an integer >= 1, got \"9999999999999999999999\"",
        "recv_timeout = 0          | recv_timeout: expected an integer >= 1, got \"0\"",
        "recv_timeout = 100ms      | recv_timeout: expected an integer >= 1, got \"100ms\"",
        "connect_timeout = 0       | connect_timeout: expected an integer >= 1, got \"0\"",
        "idle_timeout = -1         | idle_timeout: expected an integer >= 0, got \"-1\"",
        "max_packet = 0            | max_packet: expected an integer in 1..128, got \"0\"",
        "max_packet = 129          | max_packet: expected an integer in 1..128, got \"129\"",
        "failover_threshold = 0    | failover_threshold: expected an integer >= 1, got \"0\"",
        "failover_interval = 0     | failover_interval: expected an integer >= 1, got \"0\"",
        "async_size = 0            | async_size: expected an integer >= 1, got \"0\"",
        "max_clients = 0           | max_clients: expected an integer >= 1, got \"0\"",
        "cpu_affinity = maybe      | cpu_affinity: expected on or off (also yes/no, true/false, 1/0), got \"maybe\"",
        "cpu_affinity = On         | cpu_affinity: expected on or off (also yes/no, true/false, 1/0), got \"On\"",
        "log_level = WARN          | log_level: expected one of fatal, error, warn, info, debug, got \"WARN\"",
        "log_level = trace         | log_level: expected one of fatal, error, warn, info, debug, got \"trace\"",
        "log_path =                | log_path: expected a path, got an empty value",
        "ext_path = \"\"           | ext_path: expected a path, got an empty value",
        "bind =                    | bind: expected an IP address or host name, got \"\"",
        "bind = 1.2.3.999          | bind: expected an IP address or host name, got \"1.2.3.999\"",
        "bind = 1.2.3              | bind: expected an IP address or host name, got \"1.2.3\"",
        "bind = bad host           | bind: expected an IP address or host name, got \"bad host\"",
        "bind = -leading.example   | bind: expected an IP address or host name, got \"-leading.example\"",
        "bind = under_score        | bind: expected an IP address or host name, got \"under_score\"",
        "bind = 127.0.0.1:80       | bind: expected an IP address or host name, got \"127.0.0.1:80\"",
        "bind = ::g                | bind: expected an IP address or host name, got \"::g\"",
        "bind = [::1               | bind: expected an IP address or host name, got \"[::1\"",
        "bind = [                  | bind: expected an IP address or host name, got \"[\"",
        "send_timeout = 10         | send_timeout: unknown key",
        "extension = memcached.jar | extension: unknown key",
    })
    void badValueIsReportedOnItsLine(String line, String problem) throws Exception {
        assertProblems(writeWithExtension(dir, "[kvproxy]", line), ":2: [kvproxy] " + problem);
    }

    @ParameterizedTest
    @Timeout(10)
    @CsvSource({"port = 1, 1", "port = 65535, 65535", "port = 007, 7"})
    void portRange(String line, int port) throws Exception {
        assertEquals(port, loadProxy(line).port());
    }

    @ParameterizedTest
    @Timeout(10)
    @ValueSource(strings = {"on", "yes", "true", "1"})
    void cpuAffinityOnWords(String word) throws Exception {
        assertEquals(true, loadProxy("cpu_affinity = " + word).cpuAffinity());
    }

    @ParameterizedTest
    @Timeout(10)
    @ValueSource(strings = {"off", "no", "false", "0"})
    void cpuAffinityOffWords(String word) throws Exception {
        ProxySettings proxy = loadProxy("cpu_affinity = " + word);
        assertEquals(false, proxy.cpuAffinity());
        assertEquals(2, proxy.threadCount());
    }

    @ParameterizedTest
    @Timeout(10)
    @CsvSource({
        "0.0.0.0, 0.0.0.0",
        "10.1.2.3, 10.1.2.3",
        "localhost, localhost",
        "cache-1.example.com, cache-1.example.com",
        "example.com., example.com.",
        "::, ::",
        "::1, ::1",
        "[::1], ::1",
        "fe80::1:2, fe80::1:2",
        "::ffff:10.0.0.1, ::ffff:10.0.0.1"})
    void bindTakesAddressesAndNamesWithoutResolvingThem(String written, String bind) throws Exception {
        assertEquals(bind, loadProxy("bind = " + written).bind());
    }

    @ParameterizedTest
    @Timeout(10)
    @ValueSource(strings = {"fatal", "error", "warn", "info", "debug"})
    void logLevels(String level) throws Exception {
        assertEquals(level, loadProxy("log_level = " + level).logLevel());
    }

    @Test
    @Timeout(10)
    void maxPacketIsStoredInBytes() throws Exception {
        assertEquals(128 * 1024 * 1024, loadProxy("max_packet = 128").maxPacketBytes());
        assertEquals(3 * 1024 * 1024, loadProxy("max_packet = 3").maxPacketBytes());
    }

    @Test
    @Timeout(10)
    void idleTimeoutZeroMeansNever() throws Exception {
        assertEquals(0, loadProxy("idle_timeout = 0").idleTimeoutSeconds());
        assertEquals(Integer.MAX_VALUE, loadProxy("idle_timeout = 2147483647").idleTimeoutSeconds());
    }

    @Test
    @Timeout(10)
    void threadCountIsUsedWithoutCpuAffinity() throws Exception {
        assertEquals(1024, loadProxy("thread_count = 1024").threadCount());
    }
}
