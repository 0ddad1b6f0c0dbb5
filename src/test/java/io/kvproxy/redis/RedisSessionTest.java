package io.kvproxy.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.redis.resp.RespReplyFramer;
import io.kvproxy.spi.Backend;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.BufferPool;
import io.kvproxy.spi.ClusterRole;
import io.kvproxy.spi.Counter;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.Replicator;
import io.kvproxy.spi.Route;
import io.kvproxy.spi.ScriptedBackend;
import io.kvproxy.spi.ScriptedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The session on scripted backends: what it sends where, and what the client sees, in which order.
 * Keys starting with a..m live on server 0, the rest on server 1; the backup is one more backend.
 */
class RedisSessionTest {

    final ScriptedBackend[] masters = {new ScriptedBackend(), new ScriptedBackend()};
    final ScriptedBackend backup = new ScriptedBackend();
    final List<String> replicaOutcomes = new ArrayList<>();
    boolean replicating;
    final ScriptedChannel channel = newChannel();

    private ScriptedChannel newChannel() {
        return new ScriptedChannel(new Routing(), new Replication(), new BufferPool(1 << 20));
    }

    private RedisSession session(String password) {
        return new RedisSession(channel, new RedisAuth(password == null ? null : password.getBytes(StandardCharsets.US_ASCII)));
    }

    private static Buffer bytes(String text) {
        Buffer buffer = new Buffer(64, 1 << 20);
        buffer.put(text.getBytes(StandardCharsets.ISO_8859_1));
        return buffer;
    }

    /** Feeds {@code text} to the session as one read. */
    private static void feed(RedisSession session, String text) {
        Buffer in = bytes(text);
        session.onRead(in);
        assertEquals(0, in.readable(), "whole requests are consumed");
    }

    /** What the client has been sent since the last call. */
    private String client() {
        return channel.sent();
    }

    /** Answers the oldest request on {@code backend} with {@code reply}, framed as the connection frames it. */
    private static void answer(ScriptedBackend backend, String reply) throws Exception {
        PendingReply receiver = backend.fifo.pollFirst();
        RespReplyFramer framer = new RespReplyFramer();
        int expectation = framer.expectation(receiver);
        Buffer in = bytes(reply);
        while (in.readable() > 0) {
            int length = framer.frame(in, expectation);
            int offset = in.readIndex();
            if (framer.endsReply()) {
                receiver.onReply(in, offset, length);
            } else {
                receiver.onReplyPart(in, offset, length);
            }
            in.skip(length);
        }
    }

    @Test
    void pipelinedRepliesAreWrittenInRequestOrderWhicheverServerAnswersFirst() throws Exception {
        RedisSession session = session(null);
        feed(session, "GET apple\r\nGET zebra\r\nPING\r\n");
        assertEquals("*2\r\n$3\r\nGET\r\n$5\r\napple\r\n", masters[0].sent());
        assertEquals("*2\r\n$3\r\nGET\r\n$5\r\nzebra\r\n", masters[1].sent());
        answer(masters[1], "$1\r\nz\r\n");
        assertEquals("", client());
        answer(masters[0], "$1\r\na\r\n");
        assertEquals("$1\r\na\r\n$1\r\nz\r\n+PONG\r\n", client());
        assertEquals(0, session.unansweredRequests());
    }

    @Test
    void aRequestSplitAtEveryByteIsForwardedWhole() {
        String request = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        for (int split = 1; split < request.length(); split++) {
            RedisSession session = new RedisSession(newChannel(), new RedisAuth(null));
            Buffer in = bytes(request.substring(0, split));
            session.onRead(in);
            in.put(request.substring(split).getBytes(StandardCharsets.ISO_8859_1));
            session.onRead(in);
            assertEquals(request, masters[0].sent(), "split at " + split);
            masters[0].fifo.clear();
        }
    }

    @Test
    void mgetIsSplitPerServerAndMergedInTheClientsKeyOrder() throws Exception {
        RedisSession session = session(null);
        feed(session, "MGET zoo apple yak bee\r\n");
        assertEquals("*3\r\n$4\r\nMGET\r\n$5\r\napple\r\n$3\r\nbee\r\n", masters[0].sent());
        assertEquals("*3\r\n$4\r\nMGET\r\n$3\r\nzoo\r\n$3\r\nyak\r\n", masters[1].sent());
        answer(masters[0], "*2\r\n$1\r\nA\r\n$-1\r\n");
        answer(masters[1], "*2\r\n$1\r\nZ\r\n$1\r\nY\r\n");
        assertEquals("*4\r\n$1\r\nZ\r\n$1\r\nA\r\n$1\r\nY\r\n$-1\r\n", client());
        assertEquals(2, channel.counts[Counter.FRAGMENTS.ordinal()]);
    }

    @Test
    void aSplitWithAnUnavailableServerAnswersItsError() throws Exception {
        masters[1].available = false;
        RedisSession session = session(null);
        feed(session, "DEL apple zoo\r\n");
        answer(masters[0], ":1\r\n");
        assertEquals("-ERR Connection refused\r\n", client());
        feed(session, "GET zoo\r\n");
        assertEquals("-ERR Connection refused\r\n", client());
    }

    @Test
    void nothingButAuthAndQuitBeforeTheClientHasAuthenticated() {
        RedisSession session = session("s3cret");
        feed(session, "GET apple\r\nAUTH wrong\r\nAUTH s3cret\r\nPING\r\n");
        assertEquals("-NOAUTH Authentication required\r\n-ERR invalid password\r\n+OK\r\n+PONG\r\n", client());
        assertEquals("", masters[0].sent());
    }

    @Test
    void refusedUnknownAndMisshapenCommandsAreAnsweredAndTheConnectionGoesOn() {
        RedisSession session = session(null);
        feed(session, "KEYS *\r\nFOO\r\nGET\r\nMSET a\r\nECHO hi\r\n");
        assertEquals("-ERR unsupported command 'keys': it would see the keys of one server only\r\n"
                + "-ERR unknown command 'FOO', with args beginning with: \r\n"
                + "-ERR wrong number of arguments for 'get' command\r\n"
                + "-ERR wrong number of arguments for 'mset' command\r\n"
                + "$2\r\nhi\r\n", client());
        assertEquals(null, channel.closeReason);
    }

    /**
     * Jedis, redis-py and go-redis open each connection with CLIENT SETINFO: answered as redis-server 7.2
     * answers it, the bad ones with its errors (a CR or LF in the quoted option becomes a space); every
     * other CLIENT subcommand is refused. None reaches a server.
     */
    @Test
    void clientSetinfoIsAnsweredByTheProxyAndTheOtherClientSubcommandsAreRefused() {
        RedisSession session = session(null);
        feed(session, "CLIENT SETINFO LIB-NAME jedis\r\nclient SetInfo lib-ver 5.1.0\r\n"
                + "*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$7\r\nLib-Ver\r\n$3\r\n1\n0\r\n"
                + "*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$4\r\na\r\nb\r\n$1\r\nx\r\n"
                + "CLIENT SETINFO LIB-NAME\r\nCLIENT KILL ID 1\r\n");
        assertEquals("+OK\r\n+OK\r\n"
                + "-ERR Lib-Ver cannot contain spaces, newlines or special characters.\r\n"
                + "-ERR Unrecognized option 'a  b'\r\n"
                + "-ERR wrong number of arguments for 'client|setinfo' command\r\n"
                + "-ERR unsupported command 'client': the connection's state belongs to the proxy\r\n", client());
        assertEquals(4, channel.counts[Counter.CLIENT_ERRORS.ordinal()]);
        assertEquals("", masters[0].sent() + masters[1].sent());
    }

    @Test
    void anAcceptedWriteIsReplicatedAndARefusedOneIsNot() throws Exception {
        replicating = true;
        RedisSession session = session(null);
        feed(session, "SET apple 1\r\nINCR apple\r\n");
        masters[0].sent();
        answer(masters[0], "+OK\r\n");
        answer(masters[0], "-ERR value is not an integer or out of range\r\n");
        assertEquals("+OK\r\n-ERR value is not an integer or out of range\r\n", client());
        assertEquals("*3\r\n$3\r\nSET\r\n$5\r\napple\r\n$1\r\n1\r\n", backup.sent());
        answer(backup, "+OK\r\n");
        assertEquals(List.of("applied"), replicaOutcomes);
    }

    /**
     * A conditional write the master did not do is not replicated: a backup that lacks the key (SET NX,
     * SETNX, HSETNX) or holds an older copy (SET XX) would judge the condition otherwise and make a value
     * the master refused. With GET the reply cannot say, so the backup's copy is deleted.
     */
    @Test
    void aConditionalWriteIsReplicatedOnlyIfTheMasterDidIt() throws Exception {
        replicating = true;
        RedisSession session = session(null);
        feed(session, "SET apple 1 NX\r\nSETNX apple 2\r\nHSETNX apple f 3\r\nset apple 4 xx\r\n"
                + "SET apple 5 XX PX 100\r\nSETNX apple 6\r\nSET apple 7 NX GET\r\n");
        masters[0].sent();
        answer(masters[0], "$-1\r\n");
        answer(masters[0], ":0\r\n");
        answer(masters[0], ":0\r\n");
        answer(masters[0], "+OK\r\n");
        answer(masters[0], "$-1\r\n");
        answer(masters[0], ":1\r\n");
        answer(masters[0], "$-1\r\n");
        assertEquals("$-1\r\n:0\r\n:0\r\n+OK\r\n$-1\r\n:1\r\n$-1\r\n", client());
        assertEquals("*4\r\n$3\r\nset\r\n$5\r\napple\r\n$1\r\n4\r\n$2\r\nxx\r\n"
                + "*3\r\n$5\r\nSETNX\r\n$5\r\napple\r\n$1\r\n6\r\n"
                + "*2\r\n$3\r\nDEL\r\n$5\r\napple\r\n", backup.sent());
        answer(backup, "+OK\r\n");
        answer(backup, ":1\r\n");
        answer(backup, ":1\r\n");
        assertEquals(List.of("applied", "applied", "applied"), replicaOutcomes);
    }

    /**
     * A backup that lost a counter (restarted, or repaired with a DEL) would create it from nothing on an
     * INCR replica and hold a value the master never had: the backup is sent the master's new value.
     */
    @Test
    void anIncrementIsReplicatedAsASetOfTheMastersNewValue() throws Exception {
        replicating = true;
        RedisSession session = session(null);
        feed(session, "INCRBY apple 5\r\nDECR apple\r\nINCR sync:n\r\nDECRBY apple x\r\n");
        answer(masters[0], ":105\r\n");
        answer(masters[0], ":104\r\n");
        answer(masters[1], ":7\r\n");
        answer(masters[0], "-ERR value is not an integer or out of range\r\n");
        // KEEPTTL: the master's counter keeps its expiry, so must the backup's.
        assertEquals("*4\r\n$3\r\nSET\r\n$5\r\napple\r\n$3\r\n105\r\n$7\r\nKEEPTTL\r\n"
                + "*4\r\n$3\r\nSET\r\n$5\r\napple\r\n$3\r\n104\r\n$7\r\nKEEPTTL\r\n"
                + "*4\r\n$3\r\nSET\r\n$6\r\nsync:n\r\n$1\r\n7\r\n$7\r\nKEEPTTL\r\n", backup.sent());
        answer(backup, "+OK\r\n");
        answer(backup, "+OK\r\n");
        answer(backup, "+OK\r\n");
        assertEquals(":105\r\n:104\r\n:7\r\n-ERR value is not an integer or out of range\r\n", client());
        assertEquals(List.of("applied", "applied", "applied"), replicaOutcomes);
    }

    /** INCRBYFLOAT's reply is a bulk string: the backup is sent it as the value, as redis-server does. */
    @Test
    void aFloatIncrementIsReplicatedAsASetOfTheMastersNewValue() throws Exception {
        replicating = true;
        RedisSession session = session(null);
        feed(session, "INCRBYFLOAT apple 0.5\r\nINCRBYFLOAT apple x\r\n");
        answer(masters[0], "$4\r\n10.5\r\n");
        answer(masters[0], "-ERR value is not a valid float\r\n");
        assertEquals("*4\r\n$3\r\nSET\r\n$5\r\napple\r\n$4\r\n10.5\r\n$7\r\nKEEPTTL\r\n", backup.sent());
        answer(backup, "+OK\r\n");
        assertEquals("$4\r\n10.5\r\n-ERR value is not a valid float\r\n", client());
        assertEquals(List.of("applied"), replicaOutcomes);
    }

    /**
     * APPEND, LPUSH and RPUSH on a backup that lost the key would make it from the write alone (a value
     * the master never had): they are sent as they are, and applied only if the backup answers the
     * master's new length. Any other answer fails the replica, so the core repairs the key; a synchronous
     * write's client is told the backup write failed.
     */
    @Test
    void aWriteThatGrowsTheValueCountsAsAppliedOnlyIfTheBackupAnswersAsTheMasterDid() throws Exception {
        replicating = true;
        RedisSession session = session(null);
        feed(session, "APPEND apple world\r\nRPUSH bee x y\r\nLPUSH sync:l z\r\nAPPEND apple !\r\n");
        answer(masters[0], ":10\r\n");
        answer(masters[0], ":5\r\n");
        answer(masters[1], ":3\r\n");
        answer(masters[0], ":11\r\n");
        assertEquals("*3\r\n$6\r\nAPPEND\r\n$5\r\napple\r\n$5\r\nworld\r\n"
                + "*4\r\n$5\r\nRPUSH\r\n$3\r\nbee\r\n$1\r\nx\r\n$1\r\ny\r\n"
                + "*3\r\n$5\r\nLPUSH\r\n$6\r\nsync:l\r\n$1\r\nz\r\n"
                + "*3\r\n$6\r\nAPPEND\r\n$5\r\napple\r\n$1\r\n!\r\n", backup.sent());
        assertEquals(":10\r\n:5\r\n", client());
        answer(backup, ":10\r\n");
        answer(backup, ":2\r\n");
        answer(backup, ":1\r\n");
        answer(backup, ":11\r\n");
        assertEquals("-ERR backup write failed\r\n:11\r\n", client());
        assertEquals(List.of("applied",
                "failed: backup answered :2 where the master answered :5: its copy was not the master's",
                "failed: backup answered :1 where the master answered :3: its copy was not the master's",
                "applied"), replicaOutcomes);
        assertEquals(1, channel.counts[Counter.SYNC_FAILED.ordinal()]);
    }

    /**
     * HINCRBY on a backup that lost the hash would count the field from nothing: applied only if the
     * backup answers the master's new value. SETRANGE and SETBIT would leave zeros around the write there,
     * and their replies cannot tell: the backup gets a DEL of the key.
     */
    @Test
    void aFieldCounterIsCheckedByItsReplyAndAPartialStringWriteIsReplicatedAsADelete() throws Exception {
        replicating = true;
        RedisSession session = session(null);
        feed(session, "HINCRBY apple f 2\r\nSETRANGE bee 3 x\r\nSETBIT cat 7 1\r\n");
        answer(masters[0], ":42\r\n");
        answer(masters[0], ":4\r\n");
        answer(masters[0], ":0\r\n");
        assertEquals("*4\r\n$7\r\nHINCRBY\r\n$5\r\napple\r\n$1\r\nf\r\n$1\r\n2\r\n"
                + "*2\r\n$3\r\nDEL\r\n$3\r\nbee\r\n*2\r\n$3\r\nDEL\r\n$3\r\ncat\r\n", backup.sent());
        answer(backup, ":2\r\n");
        answer(backup, ":1\r\n");
        answer(backup, ":0\r\n");
        assertEquals(":42\r\n:4\r\n:0\r\n", client());
        assertEquals(List.of("failed: backup answered :2 where the master answered :42: its copy was not the master's",
                "applied", "applied"), replicaOutcomes);
    }

    /**
     * ZADD with INCR is a ZINCRBY: checked by the member's new score. Without it (here a member named
     * INCR, after the score) its reply is a count, and it is replicated as it is.
     */
    @Test
    void zaddWithIncrIsCheckedByItsReplyAndWithoutItIsNot() throws Exception {
        replicating = true;
        RedisSession session = session(null);
        feed(session, "ZADD apple xx Incr 2 m\r\nZADD bee 1 INCR\r\n");
        answer(masters[0], "$2\r\n42\r\n");
        answer(masters[0], ":0\r\n");
        answer(backup, "$1\r\n2\r\n");
        answer(backup, ":1\r\n");
        assertEquals("$2\r\n42\r\n:0\r\n", client());
        assertEquals(List.of("failed: backup answered $1 2 where the master answered $2 42: its copy was not the master's",
                "applied"), replicaOutcomes);
    }

    /**
     * A split write's keys are replicated as each server answers its part, not once every part has: a
     * later write of one of its keys, answered by the same server before another part is, must not reach
     * the backup first, or the backup would end with the older value.
     */
    @Test
    void aSplitWritesKeysAreReplicatedInStepWithTheirServersLaterWrites() throws Exception {
        replicating = true;
        RedisSession session = session(null);
        feed(session, "MSET apple 1 zoo 2\r\nSET zoo 3\r\nDEL bee yak\r\n");
        answer(masters[1], "+OK\r\n");
        answer(masters[1], "+OK\r\n");
        answer(masters[1], "-ERR Connection timed out\r\n");
        assertEquals("*3\r\n$3\r\nSET\r\n$3\r\nzoo\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$3\r\nzoo\r\n$1\r\n3\r\n"
                + "*2\r\n$3\r\nDEL\r\n$3\r\nyak\r\n", backup.sent());
        answer(masters[0], "+OK\r\n");
        answer(masters[0], ":1\r\n");
        assertEquals("*3\r\n$3\r\nSET\r\n$5\r\napple\r\n$1\r\n1\r\n*2\r\n$3\r\nDEL\r\n$3\r\nbee\r\n", backup.sent());
        assertEquals("+OK\r\n+OK\r\n-ERR Connection timed out\r\n", client());
    }

    @Test
    void aSyncWriteWaitsForTheBackupAndAWriteWhoseOutcomeIsUnknownIsReplicatedAsADelete() throws Exception {
        replicating = true;
        RedisSession session = session(null);
        feed(session, "SET sync:k v\r\nSET apple v\r\n");
        answer(masters[1], "+OK\r\n");
        assertEquals("", client());
        assertEquals("*3\r\n$3\r\nSET\r\n$6\r\nsync:k\r\n$1\r\nv\r\n", backup.sent());
        answer(backup, "-OOM command not allowed when used memory > 'maxmemory'.\r\n");
        masters[0].fifo.pollFirst().onFailure(io.kvproxy.spi.BackendFailure.TIMEOUT);
        assertEquals("-ERR backup write failed\r\n-ERR Connection timed out\r\n", client());
        assertEquals("*2\r\n$3\r\nDEL\r\n$5\r\napple\r\n", backup.sent());
        assertEquals(1, channel.counts[Counter.SYNC_FAILED.ordinal()]);
    }

    @Test
    void quitIsAnsweredThenTheConnectionClosed() {
        RedisSession session = session(null);
        feed(session, "QUIT\r\n");
        assertEquals("+OK\r\n", client());
        assertEquals("quit", channel.closeReason);
    }

    @Test
    void theFramerCountsLoadingBusyAndOomAsFailuresOfTheServer() {
        RespReplyFramer framer = new RespReplyFramer();
        for (String reply : List.of("-LOADING Redis is loading\r\n", "-BUSY Redis is busy\r\n", "-OOM no memory\r\n")) {
            Buffer in = bytes(reply);
            assertTrue(framer.isServerFailure(in, 0, in.readable()), reply);
        }
        Buffer wrongType = bytes("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
        assertEquals(false, framer.isServerFailure(wrongType, 0, wrongType.readable()));
    }

    /** Keys a..m on server 0, the rest on server 1. */
    private Backend owner(Buffer key, int offset) {
        return masters[key.get(offset) <= 'm' ? 0 : 1];
    }

    private final class Routing implements Route {
        @Override
        public Backend backendFor(ClusterRole role, int kind, Buffer key, int offset, int length) {
            return owner(key, offset);
        }

        @Override
        public Backend writeBackendFor(int kind, Buffer key, int offset, int length) {
            return owner(key, offset);
        }

        @Override
        public int serverCount(ClusterRole role) {
            return role == ClusterRole.BACKUP ? 1 : 2;
        }

        @Override
        public Backend backendAt(ClusterRole role, int kind, int index) {
            return role == ClusterRole.BACKUP ? backup : masters[index];
        }

        @Override
        public byte[] syncPrefix() {
            return "sync:".getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** Every replica to {@link #backup}; its outcome recorded in {@link #replicaOutcomes}. */
    private final class Replication implements Replicator {
        @Override
        public boolean enabled() {
            return replicating;
        }

        @Override
        public ReplicaWrite start(int kind, Buffer key, int keyOffset, int keyLength, boolean sync) {
            return new ReplicaWrite() {
                @Override
                public Backend backend() {
                    return backup;
                }

                @Override
                public void applied() {
                    replicaOutcomes.add("applied");
                }

                @Override
                public void failed(String why) {
                    replicaOutcomes.add("failed: " + why);
                }
            };
        }
    }
}
