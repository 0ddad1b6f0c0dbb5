package io.kvproxy.replicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvproxy.spi.Backend;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.ClientChannel;
import io.kvproxy.spi.ClientSession;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.Protocol;
import io.kvproxy.spi.ReplyFramer;
import io.kvproxy.spi.ScriptedBackend;
import io.kvproxy.stats.WorkerCounters;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What a rejoin sends, over scripted connections that answer when the test says. */
class RepairsTest {

    private static final int OWNER = 0;
    private static final int STAND_IN = 1;
    private static final int BACKUP = 3;

    /** Writes {@code delete <key>} and answers its probe result with whatever the test's reply says. */
    private static final class DeleteProtocol implements Protocol {
        @Override
        public ClientSession openSession(ClientChannel channel) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int backendKinds() {
            return 1;
        }

        @Override
        public ReplyFramer newReplyFramer(int kind) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void writeProbe(Buffer out) {
            throw new UnsupportedOperationException();
        }

        @Override
        public PendingReply newProbeReceiver(ProbeResult result) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void writeInvalidate(int kind, Buffer out, Buffer key, int offset, int length) {
            out.put("delete ".getBytes(StandardCharsets.US_ASCII)).put(key, offset, length).put((byte) '\n');
        }

        @Override
        public void writeInvalidateAll(Buffer out) {
            out.put("flush_all\n".getBytes(StandardCharsets.US_ASCII));
        }

        @Override
        public PendingReply newInvalidateReceiver(int kind, ProbeResult result) {
            return new PendingReply() {
                @Override
                public void onReply(Buffer buffer, int offset, int length) {
                    result.answered(true);
                }

                @Override
                public void onFailure(BackendFailure failure) {
                    result.answered(false);
                }
            };
        }
    }

    private final ScriptedBackend[] servers = {new ScriptedBackend(), new ScriptedBackend(), new ScriptedBackend(), new ScriptedBackend()};
    private final boolean[] online = {false, true, true, true};
    private final RepairLog log = new RepairLog(servers.length, 100);
    private final Repairs repairs = new Repairs(log, new DeleteProtocol(), (kind, server) -> servers[server], null,
            server -> online[server], new WorkerCounters(0));

    private void standInWrite(String key) {
        Buffer buffer = new Buffer(64, 1024).put(key.getBytes(StandardCharsets.US_ASCII));
        log.record(OWNER, RepairLog.Kind.MISSED, 0, buffer, buffer.readIndex(), buffer.readable());
        log.record(STAND_IN, RepairLog.Kind.STAND_IN, 0, buffer, buffer.readIndex(), buffer.readable());
    }

    @Test
    void aRejoinDeletesTheKeyOnItsOwnerAndOnItsStandInAndIsReadyOnceBothAnswered() {
        standInWrite("k1");
        AtomicReference<Boolean> ready = new AtomicReference<>();
        repairs.prepareRejoin(OWNER, ready::set);
        assertEquals("delete k1\n", servers[OWNER].sent());
        assertEquals("delete k1\n", servers[STAND_IN].sent());
        assertNull(ready.get());
        servers[OWNER].answerAll(true);
        assertNull(ready.get());
        servers[STAND_IN].answerAll(true);
        assertTrue(ready.get());
        assertTrue(log.isEmpty());
    }

    @Test
    void aRejoinIsNotReadyWhileTheStandInCannotBeReached() {
        standInWrite("k1");
        servers[STAND_IN].available = false;
        AtomicReference<Boolean> ready = new AtomicReference<>();
        repairs.prepareRejoin(OWNER, ready::set);
        servers[OWNER].answerAll(true);
        assertFalse(ready.get());
        assertEquals(1, log.count(RepairLog.Kind.STAND_IN), "the stand-in's copy is still to be deleted");
    }
}
