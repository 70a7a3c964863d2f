package io.backbeat.work;

import java.time.Duration;

/**
 * Cumulative statistics of an {@link AdaptiveBatcher}, published after every phase run.
 *
 * @param phases        phase runs
 * @param phasesInTime  runs that ended at or before their deadline
 * @param overruns      runs that ended after their deadline
 * @param batches       batches run
 * @param processed     items processed successfully
 * @param failed        items whose processing threw
 * @param skipped       items skipped in essential-only phases
 * @param carriedOver   items held for the next phase now
 * @param estimatedCost current per-item cost estimate ({@link Duration#ZERO} if unknown)
 * @param worstOverrun  largest overrun seen ({@link Duration#ZERO} if none)
 * @param budgetFactor  current {@link ProgressiveBackoff} factor (1 without backoff)
 */
public record BatcherStats(long phases, long phasesInTime, long overruns, long batches, long processed, long failed,
                           long skipped, int carriedOver, Duration estimatedCost, Duration worstOverrun,
                           double budgetFactor) {

    /** Share of phase runs that ended in time, in [0, 1]; 1 before the first run. */
    public double inTimeShare() {
        return phases == 0 ? 1.0 : (double) phasesInTime / phases;
    }
}
