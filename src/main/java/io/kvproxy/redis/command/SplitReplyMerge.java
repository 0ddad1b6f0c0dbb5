package io.kvproxy.redis.command;

import io.kvproxy.redis.command.RedisCommand.Merge;
import io.kvproxy.redis.resp.RedisRequest;
import io.kvproxy.redis.resp.RespWriter;
import io.kvproxy.spi.Buffer;
import java.util.Arrays;

/**
 * Merges the replies to the parts of one split command (MGET, MSET, DEL, UNLINK, TOUCH, EXISTS) into the
 * client's one reply: MGET's values in the client's key order, MSET's {@code +OK}, the others' integers
 * summed. As twemproxy does, an error from any part (an error reply, a failed or timed-out server, a
 * reply of the wrong shape) makes the whole reply that error; when several parts fail, the error of the
 * part holding the earliest key wins, so the reply does not depend on which server answered first.
 *
 * <p>Use: {@link #begin}, then {@link #addKey} once per key in the client's order, naming the part (0, 1,
 * ...: one per server, numbered as first met) that asks for it, then {@link #seal}; write each part's
 * request with {@link #writePartRequest} (or from {@link #partKeyCount} and {@link #partKey}); feed every frame of part {@code p}'s reply to
 * {@link #onPartFrame} (a {@link io.kvproxy.redis.resp.RespReplyReceiver} that frames values one by one),
 * or its failure to {@link #onPartFailure}; once {@link #isComplete}, {@link #writeReply}.
 *
 * <p>Values are copied, as they come, into the merge's own buffer (the backend's is valid only during a
 * call), which gives its memory back after {@link #writeReply}; nothing is ever consumed from it, so
 * the offsets kept into it survive its growth. Its maximum bounds the merged reply: past
 * it the reply is {@link #TOO_LARGE}. Reused for request after request: its arrays grow to the largest
 * split seen and are kept, so a steady state allocates nothing. Owned by one session; not thread-safe.
 */
public final class SplitReplyMerge {

    /** A part's reply that cannot be the reply to what the part asked. */
    public static final String UNEXPECTED_REPLY = "-ERR unexpected reply from a server to a split command";
    /** The merged values would not fit in the merge's buffer. */
    public static final String TOO_LARGE = "-ERR reply larger than max_packet";

    private static final byte[] OK = {'+', 'O', 'K'};

    /** Where a part's reply stands. AWAITING → (MGET) VALUES → DONE, or AWAITING → DONE. */
    private enum PartState { AWAITING, VALUES, DONE }

    private final Buffer values;
    private Merge merge;
    private int keyCount;
    private int partCount;
    private int partsDone;
    private int[] partOfKey = new int[16];
    /** Keys of part p, in key order: {@code partKeys[partStart[p] .. partStart[p + 1])}. */
    private int[] partStart = new int[9];
    private int[] partKeys = new int[16];
    private int[] partReceived = new int[8];
    private PartState[] partState = new PartState[8];
    private int[] valueStart = new int[16];
    private int[] valueLength = new int[16];
    private long sum;
    /** The part whose error is the reply; -1 while none failed. */
    private int errorPart = -1;
    /** The error reply: a proxy-made one, or null while a server's is in {@link #values}. */
    private String errorText;
    private int errorStart;
    private int errorLength;

    /** @param values where values wait for the reply (a pooled buffer: it holds memory only while in use) */
    public SplitReplyMerge(Buffer values) {
        this.values = values;
    }

    /** Starts a new split command; any previous one is forgotten. */
    public void begin(Merge merge) {
        this.merge = merge;
        keyCount = 0;
        partCount = 0;
        partsDone = 0;
        sum = 0;
        errorPart = -1;
        errorText = null;
        values.clear();
    }

    /** The next key, in the client's order, is asked for by {@code part}. Parts are numbered from 0 as first met. */
    public void addKey(int part) {
        if (part < 0 || part > partCount) {
            throw new IllegalStateException("part " + part + " named before parts 0.." + (partCount - 1) + " were all met");
        }
        partOfKey = ensure(partOfKey, keyCount + 1);
        partOfKey[keyCount++] = part;
        if (part == partCount) {
            partCount++;
        }
    }

    /** Every key is added: lays out each part's keys, in key order. */
    public void seal() {
        partStart = ensure(partStart, partCount + 1);
        partKeys = ensure(partKeys, keyCount);
        partReceived = ensure(partReceived, partCount);
        valueStart = ensure(valueStart, keyCount);
        valueLength = ensure(valueLength, keyCount);
        if (partState.length < partCount) {
            partState = new PartState[Math.max(partCount, partState.length * 2)];
        }
        Arrays.fill(partStart, 0, partCount + 1, 0);
        for (int key = 0; key < keyCount; key++) {
            partStart[partOfKey[key] + 1]++;
        }
        for (int part = 0; part < partCount; part++) {
            partStart[part + 1] += partStart[part];
            partReceived[part] = 0;
            partState[part] = PartState.AWAITING;
        }
        // partReceived counts keys placed while laying out, then values received.
        for (int key = 0; key < keyCount; key++) {
            int part = partOfKey[key];
            partKeys[partStart[part] + partReceived[part]++] = key;
        }
        Arrays.fill(partReceived, 0, partCount, 0);
    }

    public int partCount() {
        return partCount;
    }

    /** How many keys part {@code part} asks for. */
    public int partKeyCount(int part) {
        return partStart[part + 1] - partStart[part];
    }

    /** The {@code n}th key (0-based, in the client's order) of part {@code part}: an index into the client's keys. */
    public int partKey(int part, int n) {
        return partKeys[partStart[part] + n];
    }

    /**
     * Writes part {@code part}'s request to its server: the client's command name, then for each of the
     * part's keys, in the client's order, the key (and for MSET its value), copied from the client's
     * {@code request} parsed out of {@code in}.
     */
    public void writePartRequest(Buffer out, Buffer in, RedisRequest request, RedisCommand command, int part) {
        int step = command.keyStep();
        int keys = partKeyCount(part);
        RespWriter.writeArrayHeader(out, 1 + (long) keys * step);
        RespWriter.writeArgument(out, in, request, 0);
        for (int n = 0; n < keys; n++) {
            int first = command.keyIndex() + partKey(part, n) * step;
            for (int arg = first; arg < first + step; arg++) {
                RespWriter.writeArgument(out, in, request, arg);
            }
        }
    }

    /**
     * One frame of part {@code part}'s reply: {@code length} bytes at absolute {@code offset} of {@code in},
     * valid only during this call; {@code last} when it ends the part's reply.
     */
    public void onPartFrame(int part, Buffer in, int offset, int length, boolean last) {
        PartState state = partState[part];
        if (state == PartState.DONE) {
            throw new IllegalStateException("frame for part " + part + " after its reply ended");
        }
        byte type = in.get(offset);
        if (type == '-') {
            if (state == PartState.AWAITING && last) {
                failFromServer(part, in, offset, length);
            } else {
                fail(part, UNEXPECTED_REPLY);
            }
        } else if (state == PartState.AWAITING) {
            first(part, in, offset, length);
        } else {
            value(part, in, offset, length);
        }
        if (last) {
            if (partState[part] == PartState.VALUES && errorPart != part
                    && partReceived[part] != partKeyCount(part)) {
                fail(part, UNEXPECTED_REPLY);
            }
            partState[part] = PartState.DONE;
            partsDone++;
        }
    }

    /** Part {@code part} got no reply (or no more of it): {@code error} is its error reply, without CRLF. */
    public void onPartFailure(int part, String error) {
        if (partState[part] == PartState.DONE) {
            throw new IllegalStateException("failure for part " + part + " after its reply ended");
        }
        fail(part, error);
        partState[part] = PartState.DONE;
        partsDone++;
    }

    /** Whether every part's reply has ended, so that {@link #writeReply} may be called. */
    public boolean isComplete() {
        return partsDone == partCount;
    }

    /** Writes the client's reply, then gives the merge's memory back. */
    public void writeReply(Buffer out) {
        if (!isComplete()) {
            throw new IllegalStateException(partsDone + " of " + partCount + " parts answered");
        }
        if (errorPart >= 0) {
            if (errorText != null) {
                RespWriter.writeLine(out, errorText);
            } else {
                out.put(values, errorStart, errorLength);
            }
        } else {
            switch (merge) {
                case VALUES -> {
                    RespWriter.writeArrayHeader(out, keyCount);
                    for (int key = 0; key < keyCount; key++) {
                        out.put(values, valueStart[key], valueLength[key]);
                    }
                }
                case OK -> out.put(OK).put((byte) '\r').put((byte) '\n');
                case SUM -> RespWriter.writeInteger(out, sum);
            }
        }
        values.release();
    }

    /** The first frame of a part's reply that is not an error. */
    private void first(int part, Buffer in, int offset, int length) {
        switch (merge) {
            case VALUES -> {
                if (type(in, offset) != '*' || integer(in, offset, length) != partKeyCount(part)) {
                    fail(part, UNEXPECTED_REPLY);
                    return;
                }
                partState[part] = PartState.VALUES;
            }
            case OK -> {
                if (length != OK.length + 2 || !in.regionEquals(offset, OK)) {
                    fail(part, UNEXPECTED_REPLY);
                }
            }
            case SUM -> {
                long value = type(in, offset) == ':' ? integer(in, offset, length) : -1;
                if (value < 0) {
                    fail(part, UNEXPECTED_REPLY);
                } else {
                    sum += value;
                }
            }
        }
    }

    /** One MGET value of a part: kept for its key, unless the reply is already an error. */
    private void value(int part, Buffer in, int offset, int length) {
        if (partReceived[part] == partKeyCount(part)) {
            fail(part, UNEXPECTED_REPLY);
            return;
        }
        int key = partKeys[partStart[part] + partReceived[part]++];
        if (errorPart >= 0) {
            return;
        }
        if (!values.canAppend(length)) {
            fail(part, TOO_LARGE);
            return;
        }
        valueStart[key] = values.writeIndex();
        values.put(in, offset, length);
        valueLength[key] = length;
    }

    private void fail(int part, String error) {
        if (errorPart >= 0 && errorPart <= part) {
            return;
        }
        errorPart = part;
        errorText = error;
    }

    private void failFromServer(int part, Buffer in, int offset, int length) {
        if (errorPart >= 0 && errorPart <= part) {
            return;
        }
        if (!values.canAppend(length)) {
            fail(part, TOO_LARGE);
            return;
        }
        errorPart = part;
        errorText = null;
        errorStart = values.writeIndex();
        errorLength = length;
        values.put(in, offset, length);
    }

    private static byte type(Buffer in, int offset) {
        return in.get(offset);
    }

    /** The number of a {@code :n} or {@code *n} line (the framer has checked its digits); -1 for a negative one. */
    private static long integer(Buffer in, int offset, int length) {
        long value = 0;
        int end = offset + length - 2;
        for (int i = offset + 1; i < end; i++) {
            byte b = in.get(i);
            if (b == '-') {
                return -1;
            }
            value = value * 10 + (b - '0');
        }
        return value;
    }

    private static int[] ensure(int[] array, int size) {
        return array.length >= size ? array : Arrays.copyOf(array, Math.max(size, array.length * 2));
    }
}
