package io.kvproxy.it;

import io.kvproxy.it.History.KeyKind;
import io.kvproxy.it.History.KeySpec;
import io.kvproxy.it.History.Kind;
import io.kvproxy.it.History.Outcome;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A meta-protocol client on one pipelining connection. Each batch is a few loud writes, each with an
 * opaque the reply must echo (ms, ms in add mode to reset a counter, md, ma with its new value), then a
 * quiet pipeline of mg over keys of any client, ended by mn: a hit comes back with its key (k), a miss
 * not at all, and an error with no opaque makes the whole pipeline's reads errors, as a client cannot
 * tell which read it was.
 */
final class MetaHistoryClient extends HistoryClient {

    private record Write(Kind kind, KeySpec spec, long seq, String value, String wire) {
    }

    MetaHistoryClient(String name, long seed, List<KeySpec> ownKeys, Run run) {
        super(name, seed, ownKeys, run);
    }

    @Override
    void runBatches() {
        Socket socket = null;
        TextReplies replies = null;
        while (running.get()) {
            List<Write> writes = new ArrayList<>();
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                writes.add(write(randomOwnKey()));
            }
            List<String> reads = randomKeys(1 + random.nextInt(5));
            StringBuilder wire = new StringBuilder();
            writes.forEach(write -> wire.append(write.wire()));
            reads.forEach(key -> wire.append("mg ").append(key).append(" q v k\r\n"));
            wire.append("mn\r\n");
            long invoke = System.nanoTime();
            int answered = 0;
            try {
                if (socket == null) {
                    socket = connect(port);
                    replies = new TextReplies(socket.getInputStream());
                }
                invoke = System.nanoTime();
                socket.getOutputStream().write(wire.toString().getBytes(StandardCharsets.ISO_8859_1));
                for (Write write : writes) {
                    readReply(write, replies, invoke);
                    answered++;
                }
                recordMultiGet(reads, quietReads(reads, replies), invoke);
                answered++;
            } catch (IOException e) {
                history.anomaly(name, answered < writes.size() ? writes.get(answered).spec().key() : reads.get(0),
                        answered + " of " + (writes.size() + 1) + " replies (the last: the quiet reads and mn), then " + e);
                for (Write write : writes.subList(Math.min(answered, writes.size()), writes.size())) {
                    record(write.kind(), write.spec().key(), write.seq(), write.value(), invoke, Outcome.NO_REPLY);
                }
                if (answered <= writes.size()) {
                    recordMultiGet(reads, null, invoke);
                }
                close(socket);
                socket = null;
            }
        }
        close(socket);
    }

    private Write write(KeySpec spec) {
        long seq = nextSeq();
        String key = spec.key();
        if (spec.kind() == KeyKind.REGISTER) {
            if (random.nextInt(4) == 0) {
                return new Write(Kind.DELETE, spec, seq, null, "md " + key + " O" + seq + "\r\n");
            }
            String value = valueFor(seq);
            return new Write(Kind.SET, spec, seq, value, "ms " + key + " " + value.length() + " T0 O" + seq + "\r\n" + value + "\r\n");
        }
        if (needsReset.remove(key)) {
            String base = Long.toString(History.counterBase(spec.kind(), seq));
            return new Write(Kind.SET, spec, seq, base, "ms " + key + " " + base.length() + " ME O" + seq + "\r\n" + base + "\r\n");
        }
        Kind kind = spec.kind() == KeyKind.COUNTER_UP ? Kind.INCR : Kind.DECR;
        return new Write(kind, spec, seq, null, "ma " + key + " D" + (1 + random.nextInt(5)) + (kind == Kind.DECR ? " MD" : "")
                + " v O" + seq + "\r\n");
    }

    private void readReply(Write write, TextReplies replies, long invoke) throws IOException {
        String line = replies.line();
        String key = write.spec().key();
        if (line.startsWith("SERVER_ERROR ")) {
            record(write.kind(), key, write.seq(), write.value(), invoke, Outcome.ERROR);
            return;
        }
        String opaque = " O" + write.seq();
        if (!line.endsWith(opaque)) {
            throw new WrongReply(write.wire().substring(0, 2) + " " + key + " answered \"" + line + "\" without its opaque" + opaque);
        }
        String code = line.substring(0, line.length() - opaque.length());
        boolean counted = write.kind() != Kind.SET && write.kind() != Kind.DELETE && code.startsWith("VA ");
        String counter = counted ? replies.data(Integer.parseInt(code.substring(3))) : null;
        WriteReply reply = switch (code) {
            case "HD" -> write.kind() == Kind.SET || write.kind() == Kind.DELETE ? WriteReply.DONE : WriteReply.OTHER;
            case "NS" -> WriteReply.NOT_STORED;
            case "NF" -> WriteReply.NOT_FOUND;
            default -> counted ? WriteReply.DONE : WriteReply.OTHER;
        };
        recordWrite(write.kind(), key, write.seq(), write.value(), write.wire().contains(" ME "), reply, counter, invoke, line);
    }

    /**
     * The replies of a quiet mg pipeline up to its MN: key → value for each hit (in the order asked), or
     * null when an error came among them.
     */
    private static Map<String, String> quietReads(List<String> keys, TextReplies replies) throws IOException {
        Map<String, String> hits = new LinkedHashMap<>();
        boolean failed = false;
        int next = 0;
        for (String line = replies.line(); !line.equals("MN"); line = replies.line()) {
            if (line.startsWith("SERVER_ERROR ")) {
                failed = true;
                continue;
            }
            String[] words = line.split(" ");
            if (words.length != 3 || !words[0].equals("VA") || !words[2].startsWith("k")) {
                throw new WrongReply("quiet mg " + keys + " answered \"" + line + "\"");
            }
            String key = words[2].substring(1);
            int at = keys.subList(next, keys.size()).indexOf(key);
            if (at < 0) {
                throw new WrongReply("quiet mg " + keys + " answered a VA for " + key + (keys.contains(key) ? " out of order" : ", a key not asked"));
            }
            next += at + 1;
            hits.put(key, replies.data(Integer.parseInt(words[1])));
        }
        return failed ? null : hits;
    }
}
