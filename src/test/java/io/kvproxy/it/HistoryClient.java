package io.kvproxy.it;

import io.kvproxy.it.History.KeyKind;
import io.kvproxy.it.History.KeySpec;
import io.kvproxy.it.History.Kind;
import io.kvproxy.it.History.Operation;
import io.kvproxy.it.History.Outcome;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client of a history run, on its own thread and connection(s): it writes only the keys it owns
 * (so their writes are ordered by its {@link #nextSeq() sequence}), reads any key, and records every
 * operation and every wire anomaly in the {@link History}. Subclasses speak one protocol style each.
 */
abstract class HistoryClient implements Runnable {

    /** How long a reply may take before it counts as never answered: recv_timeout is 200 ms. */
    static final int REPLY_TIMEOUT_MILLIS = 5000;

    final String name;
    final History history;
    final Random random;
    final List<KeySpec> ownKeys;
    final List<String> allKeys;
    final int port;
    final AtomicBoolean running;
    private long seq;
    /** Counters whose incr/decr found no key: the next write of each stores a new base with add. */
    final Set<String> needsReset = new HashSet<>();

    /** What the reply to a write said, whatever its dialect's words for it. */
    enum WriteReply { DONE, NOT_STORED, NOT_FOUND, OTHER }

    /** What every client of one run shares: the history, the key space, the proxy's port, and the stop flag. */
    record Run(History history, List<String> allKeys, int port, AtomicBoolean running) {
    }

    HistoryClient(String name, long seed, List<KeySpec> ownKeys, Run run) {
        this.name = name;
        this.history = run.history();
        this.random = new Random(seed);
        this.ownKeys = ownKeys;
        this.allKeys = run.allKeys();
        this.port = run.port();
        this.running = run.running();
    }

    /** Runs batches until the run stops; an exception that escapes them is recorded, never lost with the thread. */
    @Override
    public final void run() {
        try {
            runBatches();
        } catch (RuntimeException e) {
            e.printStackTrace();
            history.anomaly(name, "-", "client stopped by " + e + " (a reply it could not take, or the test's own mistake)");
        }
    }

    /** The client's loop: batch after batch while {@link #running} holds, reconnecting after a failure. */
    abstract void runBatches();

    long nextSeq() {
        return ++seq;
    }

    String valueFor(long writeSeq) {
        return name + "-" + writeSeq;
    }

    /** {@code count} distinct random keys of the whole key space. */
    List<String> randomKeys(int count) {
        List<String> keys = new ArrayList<>();
        while (keys.size() < count) {
            String key = allKeys.get(random.nextInt(allKeys.size()));
            if (!keys.contains(key)) {
                keys.add(key);
            }
        }
        return keys;
    }

    KeySpec randomOwnKey() {
        return ownKeys.get(random.nextInt(ownKeys.size()));
    }

    void record(Kind kind, String key, long writeSeq, String value, long invokeNanos, Outcome outcome) {
        history.record(new Operation(name, kind, key, writeSeq, value, invokeNanos, System.nanoTime(), outcome));
    }

    /**
     * Records a write by what its reply said: a set acknowledged, or for an add ({@code isAdd}) a miss; a
     * delete acknowledged whether or not the key was there; an incr/decr acknowledged with its new
     * {@code counter} value, or a miss after which the counter is written anew; an incr whose value
     * descends from no reset created its key from nothing (Redis), and the counter is written anew too. Any other reply ({@code
     * line}) belongs to another request.
     */
    void recordWrite(Kind kind, String key, long writeSeq, String value, boolean isAdd, WriteReply reply, String counter,
                     long invokeNanos, String line) throws WrongReply {
        switch (kind) {
            case SET -> {
                if (reply == WriteReply.DONE) {
                    record(Kind.SET, key, writeSeq, value, invokeNanos, Outcome.ACK);
                } else if (isAdd && reply == WriteReply.NOT_STORED) {
                    record(Kind.SET, key, writeSeq, value, invokeNanos, Outcome.MISS);
                } else {
                    throw new WrongReply((isAdd ? "add " : "set ") + key + " answered \"" + line + "\"");
                }
            }
            case DELETE -> {
                if (reply != WriteReply.DONE && reply != WriteReply.NOT_FOUND) {
                    throw new WrongReply("delete " + key + " answered \"" + line + "\"");
                }
                // Acknowledged either way: the key is gone from the master, and the delete is replicated.
                record(Kind.DELETE, key, writeSeq, null, invokeNanos, Outcome.ACK);
            }
            default -> {
                if (reply == WriteReply.NOT_FOUND) {
                    needsReset.add(key);
                    record(kind, key, writeSeq, null, invokeNanos, Outcome.MISS);
                } else if (reply == WriteReply.DONE && counter != null && History.counterResetSeq(KeyKind.COUNTER_UP, Long.parseUnsignedLong(counter)) == 0) {
                    // Below every reset's base: the increment found no key and created it (Redis).
                    needsReset.add(key);
                    record(kind, key, writeSeq, counter, invokeNanos, Outcome.CREATED);
                } else if (reply == WriteReply.DONE && counter != null) {
                    record(kind, key, writeSeq, counter, invokeNanos, Outcome.ACK);
                } else {
                    throw new WrongReply(kind + " " + key + " answered \"" + line + "\"");
                }
            }
        }
    }

    /** The reads of a multi-get: a value per hit, a miss per key absent, or an error for every key. */
    void recordMultiGet(List<String> keys, Map<String, String> hits, long invokeNanos) {
        long done = System.nanoTime();
        for (String key : keys) {
            String value = hits == null ? null : hits.get(key);
            Outcome outcome = hits == null ? Outcome.ERROR : value == null ? Outcome.MISS : Outcome.VALUE;
            history.record(new Operation(name, Kind.READ, key, 0, value, invokeNanos, done, outcome));
        }
    }

    static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(REPLY_TIMEOUT_MILLIS);
        socket.setTcpNoDelay(true);
        return socket;
    }

    /** Closes a connection the client is done with; a failure to close is the test's, not the proxy's. */
    void close(Socket socket) {
        if (socket == null) {
            return;
        }
        try {
            socket.close();
        } catch (IOException e) {
            System.err.println(name + ": closing a connection failed: " + e);
        }
    }

    /** A reply that belongs to no request: the client stops trusting the connection. */
    static final class WrongReply extends IOException {
        WrongReply(String what) {
            super(what);
        }
    }

    /** Text replies line by line: memcached's CRLF lines and VALUE data blocks. */
    static final class TextReplies {
        private final InputStream in;

        TextReplies(InputStream in) {
            this.in = new BufferedInputStream(in, 16 * 1024);
        }

        String line() throws IOException {
            StringBuilder line = new StringBuilder();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("connection closed" + (line.length() > 0 ? " mid-line: " + line : ""));
                }
                if (b == '\n' && line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
                    line.setLength(line.length() - 1);
                    return line.toString();
                }
                line.append((char) b);
            }
        }

        String data(int length) throws IOException {
            byte[] bytes = in.readNBytes(length + 2);
            if (bytes.length < length + 2 || bytes[length] != '\r' || bytes[length + 1] != '\n') {
                throw new WrongReply("data block of " + length + " bytes cut short or not CRLF-terminated");
            }
            return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
        }

        /** The length a VALUE line announces. */
        static int dataLength(String valueLine) throws WrongReply {
            String[] words = valueLine.split(" ");
            try {
                return Integer.parseInt(words[3]);
            } catch (RuntimeException e) {
                throw new WrongReply("bad VALUE line \"" + valueLine + "\"");
            }
        }

        /** Whether the peer closed the connection now (no byte left). */
        boolean atEnd() throws IOException {
            return in.read() < 0;
        }

        /**
         * The reply to {@code get keys…}: key → value for each hit, or null for an error reply. A VALUE
         * for a key not asked, or out of the order asked, is a reply to another request.
         */
        Map<String, String> multiGet(List<String> keys) throws IOException {
            Map<String, String> hits = new LinkedHashMap<>();
            String line = line();
            if (line.startsWith("SERVER_ERROR ")) {
                return null;
            }
            int next = 0;
            while (!line.equals("END")) {
                String[] words = line.split(" ");
                if (words.length < 4 || !words[0].equals("VALUE")) {
                    throw new WrongReply("get " + keys + " answered \"" + line + "\"");
                }
                int at = keys.subList(next, keys.size()).indexOf(words[1]);
                if (at < 0) {
                    throw new WrongReply("get " + keys + " answered a VALUE for " + words[1] + (keys.contains(words[1])
                            ? " out of order" : ", a key not asked"));
                }
                next += at + 1;
                hits.put(words[1], data(dataLength(line)));
                line = line();
            }
            return hits;
        }
    }
}
