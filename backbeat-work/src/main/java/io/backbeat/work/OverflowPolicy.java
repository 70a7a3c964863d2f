package io.backbeat.work;

/**
 * What a {@link BoundedWorkQueue} does when an item is offered while the queue is full.
 *
 * <p>Every policy is visible to the producer through the {@link OfferResult} returned by
 * {@link BoundedWorkQueue#offer(Object)}, and in the queue's {@link QueueStats}: no policy loses an
 * item silently.
 */
public enum OverflowPolicy {
    /**
     * Wait for space, at most the queue's block timeout; the offer then returns
     * {@link OfferResult#TIMED_OUT}. Backpressure for producers that may be slowed down.
     */
    BLOCK,
    /** Refuse the new item at once with {@link OfferResult#REJECTED}; the caller keeps it. */
    REJECT,
    /**
     * Evict the oldest queued item (handed to the drop handler) and accept the new one:
     * {@link OfferResult#DROPPED_OLDEST}. For work where fresh items supersede stale ones.
     */
    DROP_OLDEST,
    /**
     * Discard the new item (handed to the drop handler): {@link OfferResult#DROPPED_NEWEST}.
     * For producers that can tolerate loss but must not be slowed down.
     */
    DROP_NEWEST
}
