package io.kvproxy.it;

import io.kvproxy.it.History.KeySpec;
import io.kvproxy.it.History.Kind;
import io.kvproxy.it.History.Outcome;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A text client whose writes are all {@code noreply}: each batch of noreply sets and deletes of its own
 * keys is followed by a plain {@code get} of the keys it set (and a few others) and a {@code version},
 * the sync point that tells it the writes were processed. A set whose value that get returns is known to
 * be applied (acknowledged when the get came back); every other noreply write has an unknown outcome.
 * Any line before the get's own reply answers a noreply request, which memcached never does.
 */
final class NoreplyHistoryClient extends HistoryClient {

    private record Write(Kind kind, String key, long seq, String value) {
    }

    NoreplyHistoryClient(String name, long seed, List<KeySpec> ownKeys, Run run) {
        super(name, seed, ownKeys, run);
    }

    @Override
    void runBatches() {
        Socket socket = null;
        TextReplies replies = null;
        while (running.get()) {
            List<Write> writes = new ArrayList<>();
            List<String> readKeys = new ArrayList<>();
            StringBuilder wire = new StringBuilder();
            for (int i = 2 + random.nextInt(5); i > 0; i--) {
                String key = randomOwnKey().key();
                long seq = nextSeq();
                if (random.nextInt(5) == 0) {
                    writes.add(new Write(Kind.DELETE, key, seq, null));
                    wire.append("delete ").append(key).append(" noreply\r\n");
                } else {
                    String value = valueFor(seq);
                    writes.add(new Write(Kind.SET, key, seq, value));
                    wire.append("set ").append(key).append(" 0 0 ").append(value.length()).append(" noreply\r\n")
                            .append(value).append("\r\n");
                    if (!readKeys.contains(key)) {
                        readKeys.add(key);
                    }
                }
            }
            for (String key : randomKeys(1 + random.nextInt(3))) {
                if (!readKeys.contains(key)) {
                    readKeys.add(key);
                }
            }
            wire.append("get ").append(String.join(" ", readKeys)).append("\r\nversion\r\n");
            long invoke = System.nanoTime();
            Map<String, String> hits;
            try {
                if (socket == null) {
                    socket = connect(port);
                    replies = new TextReplies(socket.getInputStream());
                }
                invoke = System.nanoTime();
                socket.getOutputStream().write(wire.toString().getBytes(StandardCharsets.ISO_8859_1));
                SyncPoint syncPoint = readSyncPoint(replies, readKeys);
                if (!syncPoint.noreplyAnswers().isEmpty()) {
                    history.anomaly(name, readKeys.get(0), "replies to noreply requests: " + syncPoint.noreplyAnswers());
                }
                hits = syncPoint.hits();
            } catch (IOException e) {
                history.anomaly(name, readKeys.get(0), "noreply batch's sync point (get " + readKeys + ") got no reply: " + e);
                for (Write write : writes) {
                    record(write.kind(), write.key(), write.seq(), write.value(), invoke, Outcome.NO_REPLY);
                }
                recordMultiGet(readKeys, null, invoke);
                close(socket);
                socket = null;
                continue;
            }
            recordMultiGet(readKeys, hits, invoke);
            Map<String, Write> lastSet = new HashMap<>();
            writes.forEach(write -> lastSet.put(write.key(), write));
            for (Write write : writes) {
                boolean confirmed = write.kind() == Kind.SET && lastSet.get(write.key()) == write && hits != null
                        && write.value().equals(hits.get(write.key()));
                record(write.kind(), write.key(), write.seq(), write.value(), invoke, confirmed ? Outcome.ACK : Outcome.NO_REPLY);
            }
        }
        close(socket);
    }

    /** The sync point's get: its hits (null for an error reply), and the lines before it that answered noreply requests. */
    record SyncPoint(Map<String, String> hits, List<String> noreplyAnswers) {
    }

    /** Reads up to the VERSION line: the get's reply is at the end, anything before it answered a noreply request. */
    static SyncPoint readSyncPoint(TextReplies replies, List<String> keys) throws IOException {
        List<String> lines = new ArrayList<>();
        Map<Integer, String> data = new HashMap<>();
        for (String line = replies.line(); !line.startsWith("VERSION "); line = replies.line()) {
            lines.add(line);
            String[] words = line.split(" ");
            if (words[0].equals("VALUE") && words.length >= 4) {
                data.put(lines.size() - 1, replies.data(TextReplies.dataLength(line)));
            }
        }
        if (lines.isEmpty()) {
            throw new WrongReply("no reply to get " + keys + " before VERSION");
        }
        int last = lines.size() - 1;
        Map<String, String> hits = null;
        int getStarts = last;
        if (lines.get(last).equals("END")) {
            hits = new HashMap<>();
            int next = keys.size();
            while (getStarts > 0 && data.containsKey(getStarts - 1)) {
                String key = lines.get(getStarts - 1).split(" ")[1];
                int at = keys.subList(0, next).lastIndexOf(key);
                if (at < 0) {
                    break;
                }
                next = at;
                hits.put(key, data.get(--getStarts));
            }
        } else if (!lines.get(last).startsWith("SERVER_ERROR ")) {
            throw new WrongReply("get " + keys + " answered \"" + lines.get(last) + "\"");
        }
        return new SyncPoint(hits, List.copyOf(lines.subList(0, getStarts)));
    }
}
