package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees from the command line when the config or the machine is wrong. */
@Timeout(60)
class DaemonCommandLineIT {

    @TempDir
    Path dir;

    @Test
    void checkAcceptsTheShippedConfig() throws Exception {
        KvproxyProcess.Result result = KvproxyProcess.run("-t", "-c", KvproxyProcess.HOME.resolve("etc/kvproxy.ini").toString());
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("syntax is ok"), result.output());
    }

    @Test
    void checkListsEveryProblemWithFileLineAndKey() throws Exception {
        Path file = dir.resolve("bad.ini");
        Files.writeString(file, """
                [kvproxy]
                port = 99999
                thread_cont = 2
                [memcached]
                extension = memcached.jar
                hosts = master
                hash = sha1
                [master]
                127.0.0.1:11211 = "1:100"
                127.0.0.1:11212 = "1:100"
                """);
        KvproxyProcess.Result result = KvproxyProcess.run("-t", "-c", file.toString());
        assertEquals(1, result.exitCode(), result.output());
        String output = result.output();
        assertTrue(output.contains(file + ":2: [kvproxy] port"), output);
        assertTrue(output.contains(file + ":3: [kvproxy] thread_cont"), output);
        assertTrue(output.contains(file + ":7: [memcached] hash"), output);
        assertTrue(output.contains(file + ":10: [master]"), output);
    }

    @Test
    void aMissingExtensionJarIsNamed() throws Exception {
        Path file = dir.resolve("nojar.ini");
        Files.writeString(file, "[memcached]\nextension = nosuch.jar\nhosts = master\n[master]\n127.0.0.1:11211 = \"1:1\"\n");
        KvproxyProcess.Result result = KvproxyProcess.run("-c", file.toString());
        assertEquals(1, result.exitCode(), result.output());
        assertTrue(result.output().contains("nosuch.jar: extension jar not found"), result.output());
    }

    @Test
    void aBadProtocolSettingIsReportedWithItsLine() throws Exception {
        Path file = dir.resolve("proto.ini");
        Files.writeString(file, "[memcached]\nextension = memcached.jar\nhosts = master\nproto = morse\n[master]\n127.0.0.1:11211 = \"1:1\"\n");
        KvproxyProcess.Result result = KvproxyProcess.run("-t", "-c", file.toString());
        assertEquals(1, result.exitCode(), result.output());
        assertTrue(result.output().contains(file + ":4: [memcached] proto"), result.output());
    }

    @Test
    void aPortInUseFailsTheStartWithExitCodeOne() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            Path file = dir.resolve("taken.ini");
            Files.writeString(file, KvproxyProcess.config(taken.getLocalPort(), dir, "",
                    "[memcached]\nextension = memcached.jar\nhosts = master\n[master]\n127.0.0.1:11211 = \"1:1\"\n"));
            KvproxyProcess.Result result = KvproxyProcess.run("-c", file.toString());
            assertEquals(1, result.exitCode(), result.output());
            assertTrue(result.output().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), result.output());
        }
    }

    @Test
    void unknownArgumentsAreUsageErrors() throws Exception {
        KvproxyProcess.Result result = KvproxyProcess.run("--frobnicate");
        assertEquals(2, result.exitCode(), result.output());
        assertTrue(result.output().contains("usage: kvproxy"), result.output());
    }
}
