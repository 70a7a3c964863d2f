package io.backbeat.work;

import java.time.Duration;
import java.util.List;

/**
 * What one {@link AdaptiveBatcher} phase run did.
 *
 * @param processed      items processed successfully
 * @param failed         items whose processing threw
 * @param skipped        non-essential items handed to the skip handler in an essential-only phase
 * @param carriedOver    items taken from the source but not started; kept by the batcher and
 *                       processed first next phase
 * @param batchSizes     size of each batch, in order
 * @param stopReason     why the phase ended
 * @param essentialOnly  {@code true} when {@link GracefulDegradation} chose essential-only work
 * @param finishedInTime {@code true} when the run ended at or before the deadline
 * @param remaining      deadline minus end of the run; negative by the overrun
 * @param estimatedCost  per-item cost estimate at the end of the run ({@link Duration#ZERO} if unknown)
 * @param budgetFactor   the {@link ProgressiveBackoff} factor used (1 without backoff)
 */
public record PhaseResult(int processed, int failed, int skipped, int carriedOver, List<Integer> batchSizes,
                          StopReason stopReason, boolean essentialOnly, boolean finishedInTime, Duration remaining,
                          Duration estimatedCost, double budgetFactor) {

    /** Why a phase run ended. */
    public enum StopReason {
        /** The source had no more items. */
        SOURCE_EMPTY,
        /** The time budget was used up: the next item would not have fit before the stop point. */
        TIME_BUDGET,
        /** The thread was interrupted. */
        INTERRUPTED
    }

    /** Copies the list. */
    public PhaseResult {
        batchSizes = List.copyOf(batchSizes);
    }

    /** Number of batches. */
    public int batches() {
        return batchSizes.size();
    }

    /** Items whose processing was attempted: {@code processed + failed}. */
    public int attempted() {
        return processed + failed;
    }
}
