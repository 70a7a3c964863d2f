package io.backbeat.work;

/**
 * Reduces the work taken on per beat while deadlines are being missed, and gives it back gradually.
 *
 * <p>The state is a factor in {@code [minFactor, 1]} (start 1). After each phase call
 * {@link #recordPhase(boolean)}:
 * <ul>
 *   <li>the outcome enters a sliding window of the last {@code window} phases;</li>
 *   <li>once the window holds at least {@code minSamples} outcomes and the miss rate exceeds the
 *       threshold (default 10 %), the factor is multiplied by {@code reduction} (default 0.8) and the
 *       window is cleared, so the next decision rests on fresh evidence;</li>
 *   <li>otherwise every {@code recoveryInterval} consecutive phases in time (default 5) add
 *       {@code recoveryStep} (default 0.05) back, up to 1.</li>
 * </ul>
 * Apply the factor to whatever measures work per beat: {@link #apply(int)} for an item count,
 * {@link #apply(long)} for a time budget ({@link AdaptiveBatcher} does the latter).
 *
 * <p>Pure (no clock). <b>Not thread-safe</b>: confine to the thread that runs the phases.
 */
public final class ProgressiveBackoff {

    private final double threshold;
    private final double reduction;
    private final double recoveryStep;
    private final int recoveryInterval;
    private final double minFactor;
    private final boolean[] window;
    private final int minSamples;

    private int count;
    private int next;
    private int misses;
    private int cleanStreak;
    private double factor = 1.0;
    private long reductions;

    private ProgressiveBackoff(Builder b) {
        this.threshold = b.threshold;
        this.reduction = b.reduction;
        this.recoveryStep = b.recoveryStep;
        this.recoveryInterval = b.recoveryInterval;
        this.minFactor = b.minFactor;
        this.window = new boolean[b.window];
        this.minSamples = b.minSamples;
    }

    /** A backoff with the defaults: 10 % threshold, x0.8, window 20, min 10 samples, +0.05 per 5 clean phases, floor 0.1. */
    public static ProgressiveBackoff withDefaults() {
        return builder().build();
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Records one phase.
     *
     * @param missed {@code true} when the phase's work overran its deadline
     * @return the factor to use for the next phase
     */
    public double recordPhase(boolean missed) {
        if (count == window.length) {
            if (window[next]) {
                misses--;
            }
        } else {
            count++;
        }
        window[next] = missed;
        if (missed) {
            misses++;
        }
        next = (next + 1) % window.length;

        if (count >= minSamples && missRate() > threshold) {
            factor = Math.max(minFactor, factor * reduction);
            reductions++;
            clearWindow();
            cleanStreak = 0;
        } else if (missed) {
            cleanStreak = 0;
        } else if (++cleanStreak >= recoveryInterval) {
            cleanStreak = 0;
            factor = Math.min(1.0, factor + recoveryStep);
        }
        return factor;
    }

    private void clearWindow() {
        count = 0;
        next = 0;
        misses = 0;
    }

    /** The current factor in [minFactor, 1]. */
    public double factor() {
        return factor;
    }

    /** Miss rate over the current window (0 when empty). */
    public double missRate() {
        return count == 0 ? 0.0 : (double) misses / count;
    }

    /** How many times the factor was reduced. */
    public long reductions() {
        return reductions;
    }

    /** {@code workPerBeat * factor}, rounded down, at least 1 when {@code workPerBeat >= 1}. */
    public int apply(int workPerBeat) {
        if (workPerBeat <= 0) {
            return workPerBeat;
        }
        return Math.max(1, (int) Math.floor(workPerBeat * factor));
    }

    /** {@code budgetNanos * factor}, rounded down. */
    public long apply(long budgetNanos) {
        return (long) Math.floor(budgetNanos * factor);
    }

    @Override
    public String toString() {
        return "ProgressiveBackoff[factor=" + factor + ", missRate=" + missRate() + ", reductions=" + reductions + "]";
    }

    /** Builder for {@link ProgressiveBackoff}. Not thread-safe. */
    public static final class Builder {
        private double threshold = 0.10;
        private double reduction = 0.8;
        private double recoveryStep = 0.05;
        private int recoveryInterval = 5;
        private double minFactor = 0.1;
        private int window = 20;
        private int minSamples = 10;

        private Builder() {
        }

        /** Miss rate above which work is reduced, in [0, 1) (default 0.10). */
        public Builder missRateThreshold(double threshold) {
            if (!(threshold >= 0.0 && threshold < 1.0)) {
                throw new IllegalArgumentException("threshold must be in [0, 1): " + threshold);
            }
            this.threshold = threshold;
            return this;
        }

        /** Multiplier applied on overload, in (0, 1) (default 0.8). */
        public Builder reduction(double reduction) {
            if (!(reduction > 0.0 && reduction < 1.0)) {
                throw new IllegalArgumentException("reduction must be in (0, 1): " + reduction);
            }
            this.reduction = reduction;
            return this;
        }

        /**
         * Recovery: add {@code step} (in (0, 1]) after every {@code interval} consecutive phases in time
         * (defaults 0.05 and 5).
         */
        public Builder recovery(double step, int interval) {
            if (!(step > 0.0 && step <= 1.0)) {
                throw new IllegalArgumentException("recovery step must be in (0, 1]: " + step);
            }
            if (interval < 1) {
                throw new IllegalArgumentException("recovery interval must be >= 1: " + interval);
            }
            this.recoveryStep = step;
            this.recoveryInterval = interval;
            return this;
        }

        /** Lowest factor, in (0, 1] (default 0.1). */
        public Builder minFactor(double minFactor) {
            if (!(minFactor > 0.0 && minFactor <= 1.0)) {
                throw new IllegalArgumentException("minFactor must be in (0, 1]: " + minFactor);
            }
            this.minFactor = minFactor;
            return this;
        }

        /** Sliding window length and the number of outcomes needed before a reduction (defaults 20, 10). */
        public Builder window(int window, int minSamples) {
            if (window < 1) {
                throw new IllegalArgumentException("window must be >= 1: " + window);
            }
            if (minSamples < 1 || minSamples > window) {
                throw new IllegalArgumentException("minSamples must be in [1, window]: " + minSamples);
            }
            this.window = window;
            this.minSamples = minSamples;
            return this;
        }

        /** Builds the backoff. */
        public ProgressiveBackoff build() {
            return new ProgressiveBackoff(this);
        }
    }
}
