package io.kvproxy.memcached.text;

import io.kvproxy.memcached.text.TextRequest.Outcome;
import io.kvproxy.spi.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Text requests parsed per second: 100 pipelined requests (sets, gets, 10-key multi-gets) per invocation. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TextParserBenchmark {

    private static final int REQUESTS = 100;

    private byte[] stream;
    private Buffer in;
    private TextRequestParser parser;
    private TextRequest request;

    @Setup
    public void setUp() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < REQUESTS / 4; i++) {
            text.append("set key:").append(i).append(" 0 0 100\r\n").append("v".repeat(100)).append("\r\n");
            text.append("get key:").append(i).append("\r\n");
            text.append("get k0 k1 k2 k3 k4 k5 k6 k7 k8 k9\r\n");
            text.append("incr counter:").append(i).append(" 1\r\n");
        }
        stream = text.toString().getBytes(StandardCharsets.US_ASCII);
        in = new Buffer(stream.length, stream.length);
        parser = new TextRequestParser(1024 * 1024);
        request = new TextRequest();
    }

    @Benchmark
    @OperationsPerInvocation(REQUESTS)
    public int parsePipelinedRequests() {
        in.clear();
        in.put(stream);
        int parsed = 0;
        while (parser.parse(in, request) == Outcome.REQUEST) {
            in.skip(request.length);
            parsed++;
        }
        return parsed;
    }
}
