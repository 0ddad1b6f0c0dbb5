package io.kvproxy.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.redis.command.RedisCommand;
import io.kvproxy.redis.command.RedisCommand.Merge;
import io.kvproxy.redis.command.SplitReplyMerge;
import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RedisRequestParser;
import io.kvproxy.redis.resp.RespReplyFramer;
import io.kvproxy.redis.resp.RespWriter;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.MalformedReplyException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a session does per request, with the Redis pieces, allocates nothing once warm: parsing a
 * pipelined stream (RESP and inline), looking up each command, writing it to a backend, framing the
 * replies, and merging a split MGET.
 */
@Timeout(60)
class HotPathAllocationTest {

    private static final String REQUESTS = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"
            + "ECHO \"a\\x41\" 'b'\r\n*4\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n";
    /** GET's and SET's replies, then the two parts of a split MGET a b c: a and c from part 0, b from part 1. */
    private static final String REPLIES = "$5\r\nvalue\r\n+OK\r\n*2\r\n$1\r\na\r\n$1\r\nc\r\n*1\r\n$-1\r\n";

    /** What the client gets: GET's and SET's replies passed through, then the merged MGET in key order. */
    private static final byte[] CLIENT_OUTPUT = "$5\r\nvalue\r\n+OK\r\n*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n"
            .getBytes(StandardCharsets.ISO_8859_1);

    private final byte[] requests = REQUESTS.getBytes(StandardCharsets.ISO_8859_1);
    private final byte[] replies = REPLIES.getBytes(StandardCharsets.ISO_8859_1);
    private final Buffer in = new Buffer(4096, 4096);
    private final Buffer backend = new Buffer(4096, 4096);
    private final Buffer replyIn = new Buffer(4096, 4096);
    private final Buffer client = new Buffer(4096, 4096);
    private final RedisRequestParser parser = new RedisRequestParser();
    private final RedisRequest request = new RedisRequest();
    private final RespReplyFramer framer = new RespReplyFramer();
    private final SplitReplyMerge merge = new SplitReplyMerge(new Buffer(new BufferPool(1 << 20), 256, 4096));
    private long sink;

    /** One round: four requests through parser, table and writer; their replies through framer and merge. */
    /** Whether the client got exactly {@link #CLIENT_OUTPUT}. */
    private boolean round() throws MalformedReplyException {
        in.put(requests);
        while (parser.parse(in, request) == RedisRequest.Outcome.REQUEST) {
            RedisCommand command = RedisCommand.lookup(in, request.argIndex(in, 0), request.argLength(0));
            sink += command.acceptsArgCount(request.argCount()) ? command.ordinal() : -1;
            RespWriter.writeCommand(backend, in, request);
            in.skip(request.length());
        }
        backend.clear();
        merge.begin(Merge.VALUES);
        merge.addKey(0);
        merge.addKey(1);
        merge.addKey(0);
        merge.seal();
        replyIn.put(replies);
        int length;
        int replyNumber = 0;
        while ((length = framer.frame(replyIn, replyNumber >= 2 ? 1 : 0)) > 0) {
            if (replyNumber >= 2) {
                merge.onPartFrame(replyNumber == 2 ? 0 : 1, replyIn, replyIn.readIndex(), length, framer.endsReply());
            } else {
                client.put(replyIn, replyIn.readIndex(), length);
            }
            replyIn.skip(length);
            if (framer.endsReply()) {
                replyNumber++;
            }
        }
        merge.writeReply(client);
        boolean right = client.readable() == CLIENT_OUTPUT.length && client.regionEquals(client.readIndex(), CLIENT_OUTPUT);
        client.clear();
        return right;
    }

    @Test
    void aWarmRoundAllocatesNothing() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) {
            round();
        }
        long threadId = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(threadId);
        int wrong = 0;
        for (int i = 0; i < 10_000; i++) {
            wrong += round() ? 0 : 1;
        }
        long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        // 40,000 requests and replies: any allocation per request would be megabytes.
        assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes (sink " + sink + ")");
        assertEquals(0, wrong, "every round wrote the replies it should");
        assertEquals(0, in.readable());
    }
}
