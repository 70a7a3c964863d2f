package io.backbeat.work;

import java.time.Duration;

/**
 * A consistent snapshot of a {@link BoundedWorkQueue}'s counters, taken under the queue's lock.
 *
 * <p>The counters always add up:
 * <pre>
 * offered  == accepted + rejected + timedOut + droppedNewest
 * accepted == drained + droppedOldest + depth
 * </pre>
 * ({@code rejected} includes offers refused because the queue was closed.)
 *
 * @param name          the queue's name
 * @param capacity      maximum depth
 * @param depth         items queued now
 * @param offered       offers made
 * @param accepted      items that entered the queue (including those that evicted an older item)
 * @param rejected      offers refused (full under REJECT, or queue closed)
 * @param timedOut      offers that waited the whole block timeout (BLOCK)
 * @param droppedOldest queued items evicted by DROP_OLDEST
 * @param droppedNewest offered items discarded by DROP_NEWEST
 * @param drained       items taken out by consumers
 * @param totalWait     time all drained items spent in the queue, summed
 * @param maxWait       longest time a drained item spent in the queue
 * @param oldestAge     age of the item at the head of the queue now ({@link Duration#ZERO} when empty)
 */
public record QueueStats(String name, int capacity, int depth, long offered, long accepted, long rejected,
                         long timedOut, long droppedOldest, long droppedNewest, long drained,
                         Duration totalWait, Duration maxWait, Duration oldestAge) {

    /** depth / capacity, in [0, 1]. */
    public double utilization() {
        return capacity == 0 ? 0.0 : (double) depth / capacity;
    }

    /** Mean time a drained item spent in the queue ({@link Duration#ZERO} before the first drain). */
    public Duration meanWait() {
        return drained == 0 ? Duration.ZERO : totalWait.dividedBy(drained);
    }

    /** Items lost by a drop policy: {@code droppedOldest + droppedNewest}. */
    public long dropped() {
        return droppedOldest + droppedNewest;
    }
}
