package io.kvproxy.redis;

import io.kvproxy.redis.resp.RespReplyReceiver;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.Replicator.ReplicaWrite;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * The backup's answer to one replica: applied unless it is an error reply, or, for a replica that must
 * agree with the master (APPEND, LPUSH, HINCRBY...), a reply other than the master's. Tells the core's {@link
 * ReplicaWrite} (which counts it and repairs the key when it did not apply) and, for a synchronous one,
 * the request waiting for it. Pooled by its session; it works the same after the client has gone, so it
 * keeps its own copy of the master's reply.
 */
final class RedisReplica implements RespReplyReceiver {

    private final ArrayDeque<RedisReplica> pool;
    private ReplicaWrite write;
    private RedisCall waiter;
    /** The first frame of the reply has been seen (an array's header, or the whole reply). */
    private boolean started;
    private boolean error;
    /** The master's reply the backup's must equal, {@code agreeLength} bytes; 0: any but an error. */
    private byte[] agree = new byte[24];
    private int agreeLength;
    /** The reply came in more than one frame (an array): it is no integer the master answered. */
    private boolean multiFrame;

    RedisReplica(ArrayDeque<RedisReplica> pool) {
        this.pool = pool;
    }

    /**
     * {@code waiter}: the request whose client waits for this replica (sync_str), or null; {@code
     * agreeLength} bytes of {@code master} at {@code agreeOffset}: the reply the backup must give, if any.
     */
    void begin(ReplicaWrite write, RedisCall waiter, Buffer master, int agreeOffset, int agreeLength) {
        this.write = write;
        this.waiter = waiter;
        started = false;
        error = false;
        multiFrame = false;
        if (agree.length < agreeLength) {
            agree = new byte[agreeLength];
        }
        for (int i = 0; i < agreeLength; i++) {
            agree[i] = master.get(agreeOffset + i);
        }
        this.agreeLength = agreeLength;
    }

    @Override
    public void onReplyPart(Buffer buffer, int offset, int length) {
        firstFrame(buffer, offset);
        multiFrame = true;
    }

    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        firstFrame(buffer, offset);
        if (error) {
            answered(false, "backup answered " + buffer.toString(offset, Math.min(length, 60)).trim());
        } else if (agreeLength > 0 && (multiFrame || !isAgreed(buffer, offset, length))) {
            answered(false, "backup answered " + oneLine(buffer.toString(offset, Math.min(length, 30)))
                    + " where the master answered " + oneLine(new String(agree, 0, agreeLength, StandardCharsets.ISO_8859_1))
                    + ": its copy was not the master's");
        } else {
            answered(true, null);
        }
    }

    /** A reply as one line of a log message: its line ends as spaces. */
    private static String oneLine(String reply) {
        return reply.trim().replace("\r\n", " ");
    }

    private boolean isAgreed(Buffer buffer, int offset, int length) {
        if (length != agreeLength) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (buffer.get(offset + i) != agree[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void onFailure(BackendFailure failure) {
        answered(false, ProxyReplies.failure(failure));
    }

    private void firstFrame(Buffer buffer, int offset) {
        if (!started) {
            started = true;
            error = buffer.get(offset) == '-';
        }
    }

    private void answered(boolean applied, String why) {
        ReplicaWrite done = write;
        RedisCall waiting = waiter;
        write = null;
        waiter = null;
        pool.addLast(this);
        if (applied) {
            done.applied();
        } else {
            done.failed(why);
        }
        if (waiting != null) {
            waiting.onBackupAnswered(applied);
        }
    }
}
