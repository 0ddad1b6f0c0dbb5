package io.kvproxy.route;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Key lookups per second on a 16-server weighted ring, the key hashed in place in a direct buffer. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RingBenchmark {

    @Param({"MD5", "FNV1A_64", "MURMUR"})
    public String hash;

    private Ring ring;
    private ByteBuffer keys;
    private int next;

    @Setup
    public void setUp() {
        List<RingNode> nodes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            nodes.add(new RingNode("server" + i, 100 + i * 10, i));
        }
        ring = Ring.build(Distribution.KETAMA, HashFunction.valueOf(hash), null, nodes);
        keys = ByteBuffer.allocateDirect(64 * 1024);
        for (int i = 0; i < 1024; i++) {
            byte[] key = String.format("user:%08d:x", i).getBytes(StandardCharsets.US_ASCII);
            keys.put(i * 64, key);
        }
    }

    @Benchmark
    public int lookup() {
        next = (next + 1) & 1023;
        return ring.serverFor(keys, next * 64, 15);
    }
}
