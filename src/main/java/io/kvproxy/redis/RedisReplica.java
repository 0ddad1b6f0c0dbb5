package io.kvproxy.redis;

import io.kvproxy.redis.resp.RespReplyReceiver;
import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.Buffer;
import io.kvproxy.spi.Replicator.ReplicaWrite;
import java.util.ArrayDeque;

/**
 * The backup's answer to one replica: applied unless it is an error reply. Tells the core's {@link
 * ReplicaWrite} (which counts it and repairs the key when it did not apply) and, for a synchronous one,
 * the request waiting for it. Pooled by its session; it works the same after the client has gone.
 */
final class RedisReplica implements RespReplyReceiver {

    private final ArrayDeque<RedisReplica> pool;
    private ReplicaWrite write;
    private RedisCall waiter;
    /** The first frame of the reply has been seen (an array's header, or the whole reply). */
    private boolean started;
    private boolean error;

    RedisReplica(ArrayDeque<RedisReplica> pool) {
        this.pool = pool;
    }

    /** {@code waiter}: the request whose client waits for this replica (sync_str), or null. */
    void begin(ReplicaWrite write, RedisCall waiter) {
        this.write = write;
        this.waiter = waiter;
        started = false;
        error = false;
    }

    @Override
    public void onReplyPart(Buffer buffer, int offset, int length) {
        firstFrame(buffer, offset);
    }

    @Override
    public void onReply(Buffer buffer, int offset, int length) {
        firstFrame(buffer, offset);
        answered(!error, error ? "backup answered " + buffer.toString(offset, Math.min(length, 60)).trim() : null);
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
