package io.kvproxy.redis.resp;

import io.kvproxy.spi.Buffer;

/** Feeds a byte stream into a buffer in chunks, as a socket would, for the parser and framer tests. */
final class SplitFeed {

    /** What the test does with the bytes that have arrived; false stops the feed (the connection closed). */
    interface Drain {
        boolean drain(Buffer in) throws Exception;
    }

    private SplitFeed() {
    }

    /**
     * Appends {@code stream} to {@code in} in chunks ending at {@code cuts} (and never more than the
     * buffer has room for), draining after each chunk.
     */
    static void feed(byte[] stream, Buffer in, int[] cuts, Drain drain) throws Exception {
        int from = 0;
        for (int c = 0; c <= cuts.length; c++) {
            int to = c < cuts.length ? cuts[c] : stream.length;
            while (from < to) {
                int count = Math.min(to - from, in.maxCapacity() - in.readable());
                if (count == 0) {
                    throw new AssertionError("buffer full and nothing taken from it");
                }
                in.put(stream, from, count);
                from += count;
                if (!drain.drain(in)) {
                    return;
                }
            }
        }
    }

    /** Cuts after every byte of a stream of {@code length} bytes. */
    static int[] everyByte(int length) {
        int[] cuts = new int[Math.max(0, length - 1)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        return cuts;
    }
}
