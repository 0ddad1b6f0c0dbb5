package io.kvproxy.memcached;

import io.kvproxy.spi.BackendFailure;
import io.kvproxy.spi.PendingReply;
import io.kvproxy.spi.Replicator.ReplicaWrite;
import java.util.ArrayDeque;

/**
 * Receives the backup's answer to one replica, text or binary, and tells the core's {@link ReplicaWrite}
 * (which counts it and repairs the key if it did not apply) and, for a synchronous one, the command
 * waiting. Pooled by its session; it works the same after the client has gone. Each codec adds only how
 * to read its reply ({@link #onReply}).
 */
public abstract class ReplicaReceiver<R extends ReplicaReceiver<R>> implements PendingReply {

    /** A command whose client's reply waits for its replica (sync_str). */
    public interface SyncWaiter {
        /** {@code accepted}: the backup took the write (or, for a delete or touch, did not hold the key). */
        void onBackupAnswered(boolean accepted);
    }

    private final ArrayDeque<R> pool;
    private ReplicaWrite write;
    private SyncWaiter waiter;

    protected ReplicaReceiver(ArrayDeque<R> pool) {
        this.pool = pool;
    }

    public void begin(ReplicaWrite write, SyncWaiter waiter) {
        this.write = write;
        this.waiter = waiter;
    }

    /**
     * The backup answered: {@code applied} when it holds nothing the master does not (else {@code why}
     * says what it answered), {@code accepted} when a synchronous client may be told the write succeeded.
     */
    protected final void answered(boolean applied, boolean accepted, String why) {
        ReplicaWrite done = write;
        SyncWaiter waiting = waiter;
        release();
        if (applied) {
            done.applied();
        } else {
            done.failed(why);
        }
        if (waiting != null) {
            waiting.onBackupAnswered(applied && accepted);
        }
    }

    @Override
    public final void onFailure(BackendFailure failure) {
        answered(false, false, FailureText.of(failure));
    }

    @SuppressWarnings("unchecked")
    private void release() {
        write = null;
        waiter = null;
        pool.addLast((R) this);
    }
}
