package io.backbeat.work;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs as much work as fits in a share of a phase, in batches sized from a learned per-item cost.
 *
 * <p><b>The maths.</b> For a phase that starts at {@code s} and ends at the deadline {@code D} (a
 * run that is not told the phase start counts from its own start {@code t0}):
 * <pre>
 * stop      = D - safetyMargin
 * budgetEnd = min(stop, s + floor(factor * targetShare * (D - s)))   factor from ProgressiveBackoff, 1 without
 * </pre>
 * So {@code targetShare} (default 80 %) is a share of the <em>phase</em>: with the defaults the work
 * uses at most 80 % of it, however it is split into batches. Before each batch, at time {@code t},
 * with {@code R = budgetEnd - t} and per-item estimate {@code c}:
 * <pre>
 * if R &lt;= 0 or c &gt; R: stop (TIME_BUDGET), unless nothing was tried yet in this run (probe, below)
 * size = clamp(floor(R / c), 1, maxBatch)                    (1, a probe, while c is unknown)
 * </pre>
 * Within a batch ({@link #runPhase item mode}) every item is timed, fed to the {@link CostEstimator},
 * and the next item starts only if {@code t + c <= budgetEnd}; items already taken but not started
 * are <em>carried over</em> and processed first in the next run, so nothing is lost or re-queued.
 *
 * <p><b>Probe.</b> A run that starts before its stop point always tries at least one item (one
 * batch of one in batch mode) when work waits, even when the estimate says it does not fit. An
 * estimate learned from one slow item (longer than a phase) would otherwise stop every later run
 * before it tried anything, and since nothing would be measured again, for good. Each probe is a new
 * sample, so the estimate comes back as the cost does (the EWMA geometrically, the percentile window
 * once the outlier is outranked or evicted; the batch model forgets with factor 0.8).
 *
 * <p>In batch mode ({@link #runPhaseBatched}) a bulk call often has a fixed part (a round trip), so
 * the batcher also fits {@code d = fixed + perItem * n} to the observed batches (least squares with
 * exponential forgetting) and uses {@code size = floor((R - fixed) / perItem)}, stopping (after the
 * probe) when {@code fixed + perItem > R}.
 *
 * <p>Optional: a {@link WorkPrioritizer} orders each batch; a {@link GracefulDegradation} checked at
 * the start of the run switches to essential-only work (non-essential items go to the skip handler);
 * a {@link ProgressiveBackoff} learns from overruns and scales the phase budget.
 *
 * <pre>{@code
 * AdaptiveBatcher<Task> batcher = AdaptiveBatcher.<Task>builder()
 *         .targetShare(0.8).safetyMargin(Duration.ofMillis(5))
 *         .costEstimator(CostEstimator.percentile(0.9, 128))
 *         .backoff(ProgressiveBackoff.withDefaults())
 *         .build();
 * PhaseResult r = batcher.runPhase(phaseStartNanos, deadlineNanos, queue, task -> task.run());
 * }</pre>
 *
 * <p><b>Threading.</b> One phase runs at a time: {@code runPhase} on the calling thread, which it
 * blocks until the run ends; a concurrent or re-entrant call (from inside a processor) throws
 * {@link IllegalStateException}. {@link #stats()}
 * may be called from any thread. The clock ({@code System::nanoTime} by default) is injectable so
 * the maths can be driven by a virtual clock.
 *
 * <p><b>Failure behaviour.</b> An item (or batch) whose processor throws is counted as failed, given
 * to the failure handler (default: logged at WARN) and the run continues. An exception from the
 * source propagates to the caller after the items already taken are put back into the carry-over.
 *
 * @param <T> item type
 */
public final class AdaptiveBatcher<T> {

    private static final Logger LOG = LoggerFactory.getLogger(AdaptiveBatcher.class);

    final double targetShare;
    private final long safetyMarginNanos;
    final int maxBatch;
    private final long initialCostNanos;
    final CostEstimator estimator;
    final BatchCostModel batchModel = new BatchCostModel(0.8);
    final WorkPrioritizer<? super T> prioritizer;
    private final GracefulDegradation degradation;
    final Predicate<? super T> essential;
    final ItemHandlers<T> handlers;
    private final ProgressiveBackoff backoff;
    final LongSupplier clock;

    private final AtomicBoolean running = new AtomicBoolean(); // one run at a time, not re-entrant
    final ArrayDeque<T> carry = new ArrayDeque<>();    // touched only while 'running' is held
    final BatcherTally tally = new BatcherTally();     // written only while 'running' is held
    private volatile BatcherStats stats;

    private AdaptiveBatcher(Builder<T> b) {
        this.targetShare = b.targetShare;
        this.safetyMarginNanos = b.safetyMargin.toNanos();
        this.maxBatch = b.maxBatch;
        this.initialCostNanos = b.initialCost == null ? -1L : b.initialCost.toNanos();
        this.estimator = b.estimator != null ? b.estimator : CostEstimator.ewma(0.2);
        this.prioritizer = b.prioritizer;
        this.degradation = b.degradation;
        this.essential = b.essential;
        this.handlers = new ItemHandlers<>(b.skipHandler, b.failureHandler);
        this.backoff = b.backoff;
        this.clock = b.clock;
        this.stats = snapshot();
    }

    /** Starts a builder. */
    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /**
     * Batch size for {@code remainingNanos} of budget at a per-item cost of {@code costNanos}:
     * {@code clamp(floor(share * remaining / cost), 1, maxBatch)}; {@code maxBatch} when the cost is 0.
     * Pure; exposed for tests and for callers who size their own batches. (The batcher calls it
     * with share 1: its {@code targetShare} is already in the time budget.)
     */
    public static int batchSize(long remainingNanos, long costNanos, double share, int maxBatch) {
        if (remainingNanos <= 0) {
            return 0;
        }
        if (costNanos <= 0) {
            return maxBatch;
        }
        double n = Math.floor(share * remainingNanos / costNanos);
        return (int) Math.max(1, Math.min(maxBatch, n));
    }

    /**
     * Processes items from {@code source} one at a time until the source is empty or the time budget
     * before {@code deadlineNanos} (a {@code System.nanoTime} value, in the injected clock's terms) is
     * used up. Each item is timed individually. The phase is taken to start now: the budget is
     * {@code targetShare} of the time from now to the deadline; use
     * {@link #runPhase(long, long, WorkSource, ItemProcessor)} when the phase started earlier.
     *
     * @throws IllegalStateException if another run is in progress
     */
    public PhaseResult runPhase(long deadlineNanos, WorkSource<? extends T> source, ItemProcessor<? super T> processor) {
        Objects.requireNonNull(processor, "processor");
        return run(null, deadlineNanos, source, processor, null);
    }

    /**
     * Like {@link #runPhase(long, WorkSource, ItemProcessor)} for the phase
     * {@code [phaseStartNanos, deadlineNanos)}: the budget ends {@code targetShare} of the phase after
     * its start (or at the stop point, whichever is first), however late this run starts.
     *
     * @throws IllegalArgumentException if the phase starts after its deadline
     * @throws IllegalStateException    if another run is in progress
     */
    public PhaseResult runPhase(long phaseStartNanos, long deadlineNanos, WorkSource<? extends T> source,
                                ItemProcessor<? super T> processor) {
        Objects.requireNonNull(processor, "processor");
        return run(phaseStart(phaseStartNanos, deadlineNanos), deadlineNanos, source, processor, null);
    }

    /**
     * Like {@link #runPhase(long, WorkSource, ItemProcessor)} but hands each batch to
     * {@code processor} in one call; the batch's time divided by its size is the cost sample. The
     * deadline is checked between batches only.
     *
     * @throws IllegalStateException if another run is in progress
     */
    public PhaseResult runPhaseBatched(long deadlineNanos, WorkSource<? extends T> source,
                                       BatchProcessor<? super T> processor) {
        Objects.requireNonNull(processor, "processor");
        return run(null, deadlineNanos, source, null, processor);
    }

    /**
     * Like {@link #runPhaseBatched(long, WorkSource, BatchProcessor)} for the phase
     * {@code [phaseStartNanos, deadlineNanos)} (see {@link #runPhase(long, long, WorkSource, ItemProcessor)}).
     *
     * @throws IllegalArgumentException if the phase starts after its deadline
     * @throws IllegalStateException    if another run is in progress
     */
    public PhaseResult runPhaseBatched(long phaseStartNanos, long deadlineNanos, WorkSource<? extends T> source,
                                       BatchProcessor<? super T> processor) {
        Objects.requireNonNull(processor, "processor");
        return run(phaseStart(phaseStartNanos, deadlineNanos), deadlineNanos, source, null, processor);
    }

    private static Long phaseStart(long phaseStartNanos, long deadlineNanos) {
        if (deadlineNanos - phaseStartNanos < 0) {
            throw new IllegalArgumentException("the phase starts (" + phaseStartNanos + ") after its deadline ("
                    + deadlineNanos + ")");
        }
        return phaseStartNanos;
    }

    /**
     * End of the time budget: {@code targetShare * factor} of the phase {@code [start, deadline)}
     * after its start, never after {@code stop}. Pure; exposed for tests.
     */
    static long budgetEnd(long start, long deadline, long stop, double share, double factor) {
        long length = deadline - start;
        if (length <= 0) {
            return stop;
        }
        long end = start + (long) Math.floor(factor * share * length);
        return end - stop < 0 ? end : stop;
    }

    private PhaseResult run(Long phaseStartNanos, long deadlineNanos, WorkSource<? extends T> source,
                            ItemProcessor<? super T> itemProc, BatchProcessor<? super T> batchProc) {
        Objects.requireNonNull(source, "source");
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("a phase is already running on this AdaptiveBatcher");
        }
        try {
            long t0 = clock.getAsLong();
            long start = phaseStartNanos == null ? t0 : phaseStartNanos;
            long stop = deadlineNanos - safetyMarginNanos;
            double factor = backoffFactor();
            long budgetEnd = budgetEnd(start, deadlineNanos, stop, targetShare, factor);
            boolean essentialOnly = degradation != null
                    && degradation.mode(deadlineNanos - t0) == GracefulDegradation.Mode.ESSENTIAL_ONLY;

            PhaseRun<T> r = new PhaseRun<>(this, source, itemProc, batchProc, budgetEnd, stop, essentialOnly);
            PhaseResult.StopReason reason = r.run();

            long left = deadlineNanos - clock.getAsLong();
            boolean inTime = left >= 0;
            if (backoff != null) {
                backoff.recordPhase(!inTime);
            }
            tally.phase(r.processed, r.failed, r.skipped, left);
            stats = snapshot();
            return new PhaseResult(r.processed, r.failed, r.skipped, carry.size(), r.sizes, reason, essentialOnly,
                    inTime, Duration.ofNanos(left), Duration.ofNanos(Math.max(0L, costNanos())), factor);
        } finally {
            running.set(false);
        }
    }

    /** Current per-item cost: learned, else the initial cost, else -1 (unknown). */
    long costNanos() {
        return estimator.hasEstimate() ? estimator.estimateNanos() : initialCostNanos;
    }

    private double backoffFactor() {
        return backoff == null ? 1.0 : backoff.factor();
    }

    private BatcherStats snapshot() {
        return tally.snapshot(carry.size(), costNanos(), backoffFactor());
    }

    /** Statistics as of the end of the last run. Any thread. */
    public BatcherStats stats() {
        return stats;
    }

    /**
     * Moves the carried-over items (taken from a source but not started) into {@code sink}, e.g. on
     * shutdown.
     *
     * @return how many were moved
     * @throws IllegalStateException if a phase is running
     */
    public int drainCarryOver(Collection<? super T> sink) {
        Objects.requireNonNull(sink, "sink");
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("a phase is running on this AdaptiveBatcher");
        }
        try {
            int n = carry.size();
            sink.addAll(carry);
            carry.clear();
            stats = snapshot();
            return n;
        } finally {
            running.set(false);
        }
    }

    /**
     * Builder for {@link AdaptiveBatcher}. Not thread-safe.
     *
     * @param <T> item type
     */
    public static final class Builder<T> {
        private double targetShare = 0.8;
        private Duration safetyMargin = Duration.ofMillis(1);
        private int maxBatch = 10_000;
        private Duration initialCost;
        private CostEstimator estimator;
        private WorkPrioritizer<? super T> prioritizer;
        private GracefulDegradation degradation;
        private Predicate<? super T> essential;
        private Consumer<? super T> skipHandler;
        private ProgressiveBackoff backoff;
        private BiConsumer<? super T, ? super Exception> failureHandler =
                (item, e) -> LOG.warn("work item failed: {}", item, e);
        private LongSupplier clock = System::nanoTime;

        private Builder() {
        }

        /**
         * Share of the phase the work may use, in (0, 1] (default 0.8): the budget ends
         * {@code share * phase length} after the phase start (and never after the safety margin
         * before the deadline). 1 fills the phase up to the safety margin.
         */
        public Builder<T> targetShare(double share) {
            if (!(share > 0.0 && share <= 1.0)) {
                throw new IllegalArgumentException("targetShare must be in (0, 1]: " + share);
            }
            this.targetShare = share;
            return this;
        }

        /** Work stops this long before the deadline (default 1 ms). */
        public Builder<T> safetyMargin(Duration margin) {
            Objects.requireNonNull(margin, "margin");
            if (margin.isNegative()) {
                throw new IllegalArgumentException("safetyMargin must be >= 0: " + margin);
            }
            this.safetyMargin = margin;
            return this;
        }

        /** Largest batch (default 10 000). */
        public Builder<T> maxBatch(int maxBatch) {
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch must be >= 1: " + maxBatch);
            }
            this.maxBatch = maxBatch;
            return this;
        }

        /** Per-item cost assumed before the first measurement (default: unknown, probe with batches of 1). */
        public Builder<T> initialCost(Duration cost) {
            Objects.requireNonNull(cost, "cost");
            if (cost.isNegative()) {
                throw new IllegalArgumentException("initialCost must be >= 0: " + cost);
            }
            this.initialCost = cost;
            return this;
        }

        /** Cost model (default {@code CostEstimator.ewma(0.2)}); the batcher owns it afterwards. */
        public Builder<T> costEstimator(CostEstimator estimator) {
            this.estimator = Objects.requireNonNull(estimator, "estimator");
            return this;
        }

        /** Orders each batch by priority then deadline (default: source order). */
        public Builder<T> prioritizer(WorkPrioritizer<? super T> prioritizer) {
            this.prioritizer = Objects.requireNonNull(prioritizer, "prioritizer");
            return this;
        }

        /**
         * Essential-only runs: when {@code degradation} says so at the start of a run, items failing
         * {@code essential} are not processed but handed to {@code skipHandler} (to re-queue, log or
         * drop; {@code null} discards them, still counted in {@link PhaseResult#skipped()}).
         */
        public Builder<T> degradation(GracefulDegradation degradation, Predicate<? super T> essential,
                                      Consumer<? super T> skipHandler) {
            this.degradation = Objects.requireNonNull(degradation, "degradation");
            this.essential = Objects.requireNonNull(essential, "essential");
            this.skipHandler = skipHandler;
            return this;
        }

        /** Scales each run's time budget by the backoff factor and reports every run's outcome to it. */
        public Builder<T> backoff(ProgressiveBackoff backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        /** Receives items whose processing threw (default: log at WARN). Runs on the phase thread. */
        public Builder<T> onFailure(BiConsumer<? super T, ? super Exception> handler) {
            this.failureHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** The nano clock deadlines are expressed in (default {@code System::nanoTime}). */
        public Builder<T> nanoClock(LongSupplier clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Builds the batcher. */
        public AdaptiveBatcher<T> build() {
            return new AdaptiveBatcher<>(this);
        }
    }
}
