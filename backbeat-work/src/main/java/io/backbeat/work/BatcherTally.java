package io.backbeat.work;

import java.time.Duration;

/**
 * The running totals of an {@link AdaptiveBatcher}: phases (and how many ended in time), batches,
 * items processed, failed and skipped, and the worst overrun past a deadline. Written only while
 * the batcher's run is held; {@link #snapshot} turns them into the {@link BatcherStats} published
 * to other threads. Not thread-safe.
 */
final class BatcherTally {

    private long phases;
    private long phasesInTime;
    private long batches;
    private long processed;
    private long failed;
    private long skipped;
    private long worstOverrunNanos;

    /** Counts one batch handed to a processor. */
    void batch() {
        batches++;
    }

    /**
     * Counts one finished phase with its item outcomes; {@code leftNanos} is the time from its end
     * to the deadline, negative when it overran.
     */
    void phase(int processed, int failed, int skipped, long leftNanos) {
        phases++;
        if (leftNanos >= 0) {
            phasesInTime++;
        } else {
            worstOverrunNanos = Math.max(worstOverrunNanos, -leftNanos);
        }
        this.processed += processed;
        this.failed += failed;
        this.skipped += skipped;
    }

    /** The totals as stats, with the carry-over size, the per-item cost (-1: unknown) and the backoff factor. */
    BatcherStats snapshot(int carried, long costNanos, double backoffFactor) {
        return new BatcherStats(phases, phasesInTime, phases - phasesInTime, batches, processed, failed, skipped,
                carried, Duration.ofNanos(Math.max(0L, costNanos)), Duration.ofNanos(worstOverrunNanos),
                backoffFactor);
    }
}
