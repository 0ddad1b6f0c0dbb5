package io.kvproxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kvproxy.it.HistoryClient.TextReplies;
import io.kvproxy.it.HistoryClient.WrongReply;
import io.kvproxy.it.NoreplyHistoryClient.SyncPoint;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How the history clients read text replies: what they take as a request's own reply and what as another's. */
@Timeout(10)
class HistoryClientRepliesTest {

    private static TextReplies replies(String text) {
        return new TextReplies(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void aMultiGetTakesHitsInTheOrderAskedAndAnErrorAsNoAnswer() throws IOException {
        assertEquals(Map.of("a", "t0-1", "c", "x"), replies("VALUE a 0 4\r\nt0-1\r\nVALUE c 0 1\r\nx\r\nEND\r\n").multiGet(List.of("a", "b", "c")));
        assertNull(replies("SERVER_ERROR backend timeout\r\n").multiGet(List.of("a")));
    }

    @Test
    void aValueForAKeyNotAskedOrOutOfOrderIsAnotherRequestsReply() {
        assertThrows(WrongReply.class, () -> replies("VALUE z 0 1\r\nx\r\nEND\r\n").multiGet(List.of("a")));
        assertThrows(WrongReply.class, () -> replies("VALUE b 0 1\r\nx\r\nVALUE a 0 1\r\ny\r\nEND\r\n").multiGet(List.of("a", "b")));
        assertThrows(WrongReply.class, () -> replies("STORED\r\n").multiGet(List.of("a")));
        assertThrows(WrongReply.class, () -> replies("VALUE a 0 5\r\nx\r\nEND\r\n").multiGet(List.of("a")));
    }

    @Test
    void theNoreplySyncPointTellsTheGetsReplyFromAnswersToNoreplyRequests() throws IOException {
        SyncPoint clean = NoreplyHistoryClient.readSyncPoint(replies("VALUE a 0 1\r\nx\r\nEND\r\nVERSION 1.6.18\r\n"), List.of("a", "b"));
        assertEquals(new SyncPoint(Map.of("a", "x"), List.of()), clean);
        SyncPoint extra = NoreplyHistoryClient.readSyncPoint(
                replies("SERVER_ERROR backend timeout\r\nVALUE b 0 1\r\ny\r\nEND\r\nVERSION 1.6.18 kvproxy-0.1.0\r\n"), List.of("a", "b"));
        assertEquals(new SyncPoint(Map.of("b", "y"), List.of("SERVER_ERROR backend timeout")), extra);
        SyncPoint failed = NoreplyHistoryClient.readSyncPoint(
                replies("CLIENT_ERROR bad data chunk\r\nSERVER_ERROR backend unavailable\r\nVERSION 1.6.18 kvproxy-0.1.0\r\n"), List.of("a"));
        assertEquals(new SyncPoint(null, List.of("CLIENT_ERROR bad data chunk")), failed);
        assertThrows(WrongReply.class, () -> NoreplyHistoryClient.readSyncPoint(replies("VERSION 1.6.18 kvproxy-0.1.0\r\n"), List.of("a")));
    }
}
