package io.kvproxy.it;

import io.kvproxy.it.History.KeyKind;
import io.kvproxy.it.History.KeySpec;
import io.kvproxy.it.History.Kind;
import io.kvproxy.it.History.Outcome;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A text-protocol client over a raw socket. {@link Mode#PIPELINING} keeps one connection and sends a few
 * requests per write; {@link Mode#HALF_CLOSING} opens a connection per batch, sends it, shuts down its
 * sending side and must still get every reply, in order, before the proxy closes.
 */
final class TextHistoryClient extends HistoryClient {

    enum Mode { PIPELINING, HALF_CLOSING }

    private record Request(Kind kind, KeySpec spec, long seq, String value, List<String> readKeys, String wire) {
    }

    private static final int HALF_CLOSE_PAUSE_MILLIS = 10;

    private final Mode mode;

    TextHistoryClient(String name, Mode mode, long seed, List<KeySpec> ownKeys, Run run) {
        super(name, seed, ownKeys, run);
        this.mode = mode;
    }

    @Override
    void runBatches() {
        Socket socket = null;
        TextReplies replies = null;
        while (running.get()) {
            List<Request> batch = plan(mode == Mode.PIPELINING ? 2 + random.nextInt(4) : 5 + random.nextInt(20));
            long invoke = System.nanoTime();
            int answered = 0;
            try {
                if (socket == null) {
                    socket = connect(port);
                    replies = new TextReplies(socket.getInputStream());
                }
                StringBuilder wire = new StringBuilder();
                batch.forEach(request -> wire.append(request.wire()));
                invoke = System.nanoTime();
                socket.getOutputStream().write(wire.toString().getBytes(StandardCharsets.ISO_8859_1));
                if (mode == Mode.HALF_CLOSING) {
                    socket.shutdownOutput();
                }
                for (Request request : batch) {
                    readReply(request, replies, invoke);
                    answered++;
                }
                if (mode == Mode.HALF_CLOSING) {
                    checkClosedAfterLastReply(replies);
                    close(socket);
                    socket = null;
                    pace();
                }
            } catch (IOException e) {
                Request first = batch.get(Math.min(answered, batch.size() - 1));
                history.anomaly(name, first.spec() != null ? first.spec().key() : first.readKeys().get(0),
                        (mode == Mode.HALF_CLOSING ? "half-closed: " : "") + answered + " of " + batch.size()
                                + " requests answered, then " + e);
                for (Request request : batch.subList(answered, batch.size())) {
                    recordUnanswered(request, invoke);
                }
                close(socket);
                socket = null;
                pace();
            }
        }
        close(socket);
    }

    /**
     * A half-closing client opens a connection per batch, like a script; without a pause one whose
     * replies never come would spin through thousands of connections a second and flood the history.
     */
    private void pace() {
        if (mode != Mode.HALF_CLOSING) {
            return;
        }
        try {
            Thread.sleep(HALF_CLOSE_PAUSE_MILLIS);
        } catch (InterruptedException e) {
            running.set(false);
            Thread.currentThread().interrupt();
        }
    }

    /** memcached answers a half-closed connection, then closes it; nothing may follow the last reply. */
    private void checkClosedAfterLastReply(TextReplies replies) throws IOException {
        try {
            if (!replies.atEnd()) {
                history.anomaly(name, "-", "bytes after the last reply to a half-closed connection");
            }
        } catch (SocketTimeoutException e) {
            history.anomaly(name, "-", "half-closed connection still open " + REPLY_TIMEOUT_MILLIS + " ms after its last reply");
        }
    }

    private List<Request> plan(int count) {
        List<Request> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (random.nextBoolean()) {
                batch.add(write(randomOwnKey()));
            } else {
                List<String> keys = randomKeys(1 + random.nextInt(5));
                batch.add(new Request(Kind.READ, null, 0, null, keys, "get " + String.join(" ", keys) + "\r\n"));
            }
        }
        return batch;
    }

    private Request write(KeySpec spec) {
        long seq = nextSeq();
        String key = spec.key();
        if (spec.kind() == KeyKind.REGISTER) {
            if (random.nextInt(4) == 0) {
                return new Request(Kind.DELETE, spec, seq, null, null, "delete " + key + "\r\n");
            }
            String value = valueFor(seq);
            return new Request(Kind.SET, spec, seq, value, null, "set " + key + " 0 0 " + value.length() + "\r\n" + value + "\r\n");
        }
        if (needsReset.remove(key)) {
            String base = Long.toString(History.counterBase(spec.kind(), seq));
            return new Request(Kind.SET, spec, seq, base, null, "add " + key + " 0 0 " + base.length() + "\r\n" + base + "\r\n");
        }
        Kind kind = spec.kind() == KeyKind.COUNTER_UP ? Kind.INCR : Kind.DECR;
        return new Request(kind, spec, seq, null, null, kind.name().toLowerCase() + " " + key + " " + (1 + random.nextInt(5)) + "\r\n");
    }

    private void readReply(Request request, TextReplies replies, long invoke) throws IOException {
        if (request.kind() == Kind.READ) {
            recordMultiGet(request.readKeys(), replies.multiGet(request.readKeys()), invoke);
            return;
        }
        String line = replies.line();
        String key = request.spec().key();
        if (line.startsWith("SERVER_ERROR ")) {
            record(request.kind(), key, request.seq(), request.value(), invoke, Outcome.ERROR);
            return;
        }
        boolean counted = !line.isEmpty() && line.chars().allMatch(Character::isDigit);
        WriteReply reply = switch (request.kind()) {
            case SET -> line.equals("STORED") ? WriteReply.DONE : line.equals("NOT_STORED") ? WriteReply.NOT_STORED : WriteReply.OTHER;
            case DELETE -> line.equals("DELETED") ? WriteReply.DONE : line.equals("NOT_FOUND") ? WriteReply.NOT_FOUND : WriteReply.OTHER;
            default -> counted ? WriteReply.DONE : line.equals("NOT_FOUND") ? WriteReply.NOT_FOUND : WriteReply.OTHER;
        };
        recordWrite(request.kind(), key, request.seq(), request.value(), request.wire().startsWith("add "), reply,
                counted ? line : null, invoke, line);
    }

    private void recordUnanswered(Request request, long invoke) {
        if (request.kind() == Kind.READ) {
            recordMultiGet(request.readKeys(), null, invoke);
        } else {
            record(request.kind(), request.spec().key(), request.seq(), request.value(), invoke, Outcome.NO_REPLY);
        }
    }

    /** What a server (or the proxy) holds for {@code keys}, by one multi-get on a fresh connection; null on an error reply. */
    static Map<String, String> readOrError(int port, List<String> keys) throws IOException {
        try (Socket socket = connect(port)) {
            socket.getOutputStream().write(("get " + String.join(" ", keys) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return new TextReplies(socket.getInputStream()).multiGet(keys);
        }
    }
}
