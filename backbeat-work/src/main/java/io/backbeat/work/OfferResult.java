package io.backbeat.work;

/**
 * Outcome of {@link BoundedWorkQueue#offer(Object)}. The queue never fails silently: each outcome is
 * counted in {@link QueueStats} and the offering method is annotated {@link CheckReturnValue}.
 */
public enum OfferResult {
    /** The item is queued. */
    ACCEPTED,
    /** The item is queued; the oldest queued item was evicted to make room (policy DROP_OLDEST). */
    DROPPED_OLDEST,
    /** The queue was full and the item was refused (policy REJECT); the caller still owns it. */
    REJECTED,
    /** The queue was full and the item was discarded (policy DROP_NEWEST). */
    DROPPED_NEWEST,
    /** The queue stayed full for the whole block timeout (policy BLOCK); the caller still owns it. */
    TIMED_OUT,
    /** The queue is closed; the caller still owns the item. */
    CLOSED;

    /** {@code true} when the offered item is now in the queue. */
    public boolean accepted() {
        return this == ACCEPTED || this == DROPPED_OLDEST;
    }

    /** {@code true} when the offered item is NOT in the queue and the caller still holds it. */
    public boolean refused() {
        return this == REJECTED || this == TIMED_OUT || this == CLOSED;
    }
}
