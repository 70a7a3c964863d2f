package io.backbeat.work;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;

/**
 * What a {@link BoundedWorkQueue}'s lock guards: the queued items with the time each was enqueued,
 * and the counters of {@link QueueStats}. Not thread-safe: the queue calls it with its lock held,
 * and keeps the waiting, the signalling and the overflow policy to itself.
 *
 * <p>An offer is counted once, with its outcome ({@link #count(OfferResult)}), so the counters add
 * up at every moment the lock is free:
 * <pre>
 * offered  == accepted + rejected + timedOut + droppedNewest
 * accepted == drained + droppedOldest + depth
 * </pre>
 *
 * @param <T> item type
 */
final class QueueLedger<T> {

    private record Entry<T>(T item, long enqueuedNanos) {
    }

    private final ArrayDeque<Entry<T>> entries;
    private long offered;
    private long accepted;
    private long rejected;
    private long timedOut;
    private long droppedOldest;
    private long droppedNewest;
    private long drained;
    private long waitSumNanos;
    private long waitMaxNanos;

    QueueLedger(int capacity) {
        this.entries = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    /**
     * Counts one offer by its outcome. {@link OfferResult#ACCEPTED} and
     * {@link OfferResult#DROPPED_OLDEST} count as accepted: the caller has {@link #add added} the
     * item (and for DROPPED_OLDEST {@link #evictOldest() evicted} the head).
     *
     * @return {@code result}
     */
    OfferResult count(OfferResult result) {
        offered++;
        switch (result) {
            case ACCEPTED -> accepted++;
            case DROPPED_OLDEST -> {
                accepted++;
                droppedOldest++;
            }
            case REJECTED, CLOSED -> rejected++;
            case TIMED_OUT -> timedOut++;
            case DROPPED_NEWEST -> droppedNewest++;
            default -> throw new AssertionError(result);
        }
        return result;
    }

    int size() {
        return entries.size();
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Queues {@code item} at the tail, enqueued at {@code now}. */
    void add(T item, long now) {
        entries.addLast(new Entry<>(item, now));
    }

    /** Removes the head item to make room (not counted as drained); the queue is not empty. */
    T evictOldest() {
        return entries.pollFirst().item();
    }

    /** Takes the head item for a consumer at {@code now}, counting it and its wait; the queue is not empty. */
    T takeFirst(long now) {
        Entry<T> e = entries.pollFirst();
        long wait = Math.max(0L, now - e.enqueuedNanos());
        waitSumNanos += wait;
        if (wait > waitMaxNanos) {
            waitMaxNanos = wait;
        }
        drained++;
        return e.item();
    }

    /** Moves up to {@code max} items, oldest first, into {@code sink} at {@code now}; returns how many. */
    int drainTo(Collection<? super T> sink, int max, long now) {
        int n = Math.min(max, entries.size());
        for (int i = 0; i < n; i++) {
            sink.add(takeFirst(now));
        }
        return n;
    }

    /** The counters, the depth and the head's age at {@code now}. */
    QueueStats stats(String name, int capacity, long now) {
        Entry<T> head = entries.peekFirst();
        long oldest = head == null ? 0L : Math.max(0L, now - head.enqueuedNanos());
        return new QueueStats(name, capacity, entries.size(), offered, accepted, rejected, timedOut,
                droppedOldest, droppedNewest, drained, Duration.ofNanos(waitSumNanos), Duration.ofNanos(waitMaxNanos),
                Duration.ofNanos(oldest));
    }
}
