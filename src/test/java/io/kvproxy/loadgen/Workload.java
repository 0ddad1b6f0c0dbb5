package io.kvproxy.loadgen;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The requests of a run, the same bytes for every target: 64-byte keys drawn uniformly from a key space
 * that {@link #preloadRequest} filled first (so gets hit), 100-byte values. {@code get90} is 90% single
 * gets and 10% sets, as sbin/bench's memcaslap workload; {@code mget10} and {@code mget100} are gets of 10
 * and 100 keys.
 */
enum Workload {
    GET90("get90", 1),
    MGET10("mget10", 10),
    MGET100("mget100", 100);

    static final int KEY_LENGTH = 64;
    static final int VALUE_LENGTH = 100;
    private static final byte[] SET_TAIL = (" 0 0 " + VALUE_LENGTH + "\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VALUE = ("v".repeat(VALUE_LENGTH) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GET = "get".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SET = "set ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};

    private final String label;
    private final int keysPerGet;

    Workload(String label, int keysPerGet) {
        this.label = label;
        this.keysPerGet = keysPerGet;
    }

    String label() {
        return label;
    }

    static Workload named(String label) {
        for (Workload workload : values()) {
            if (workload.label.equals(label)) {
                return workload;
            }
        }
        throw new IllegalArgumentException("unknown workload " + label + " (get90, mget10 or mget100)");
    }

    /** The most bytes one request of this workload takes. */
    int maxRequestBytes() {
        return Math.max(SET.length + KEY_LENGTH + SET_TAIL.length + VALUE.length,
                GET.length + keysPerGet * (1 + KEY_LENGTH) + CRLF.length);
    }

    /** Writes the next request, chosen by {@code random}, into {@code out} (which has room for it). */
    void request(ByteBuffer out, KeySpace keys, SplittableRandom random) {
        if (this == GET90 && random.nextInt(10) == 0) {
            set(out, keys.key(random.nextInt(keys.size())));
            return;
        }
        out.put(GET);
        for (int i = 0; i < keysPerGet; i++) {
            out.put((byte) ' ').put(keys.key(random.nextInt(keys.size())));
        }
        out.put(CRLF);
    }

    /** Writes the set that stores key {@code index} before a run. */
    static void preloadRequest(ByteBuffer out, KeySpace keys, int index) {
        set(out, keys.key(index));
    }

    private static void set(ByteBuffer out, byte[] key) {
        out.put(SET).put(key).put(SET_TAIL).put(VALUE);
    }

    /** The keys, made once: {@code lat:<index>} padded with {@code x} to 64 bytes. */
    static final class KeySpace {
        private final byte[][] keys;

        KeySpace(int size) {
            keys = new byte[size][];
            for (int i = 0; i < size; i++) {
                String key = "lat:" + i + ":";
                keys[i] = (key + "x".repeat(KEY_LENGTH - key.length())).getBytes(StandardCharsets.US_ASCII);
            }
        }

        int size() {
            return keys.length;
        }

        byte[] key(int index) {
            return keys[index];
        }
    }
}
