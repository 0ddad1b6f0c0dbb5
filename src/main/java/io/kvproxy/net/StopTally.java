package io.kvproxy.net;

/**
 * What one worker left undone when it stopped: requests read from clients whose replies were never
 * written, and asynchronous replica writes still unanswered by the backup, given up (and counted as
 * failed) as the backup connections closed.
 */
public record StopTally(long unansweredRequests, long replicasGivenUp) {

    /** A worker that has not stopped yet, or stopped owing nothing. */
    public static final StopTally NONE = new StopTally(0, 0);

    public StopTally plus(StopTally other) {
        return new StopTally(unansweredRequests + other.unansweredRequests, replicasGivenUp + other.replicasGivenUp);
    }
}
