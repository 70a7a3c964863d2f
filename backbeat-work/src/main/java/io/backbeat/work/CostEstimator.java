package io.backbeat.work;

import java.time.Duration;
import java.util.Arrays;

/**
 * Learns what one work item costs, in nanoseconds, from observed processing times.
 *
 * <p>Two models:
 * <ul>
 *   <li>{@link #ewma(double)}: exponentially weighted moving average,
 *       {@code est = alpha * sample + (1 - alpha) * est}; the first sample seeds it. Higher alpha
 *       reacts faster to a change of cost, lower alpha smooths noise.</li>
 *   <li>{@link #percentile(double, int)}: the q-quantile (nearest rank) of the last {@code window}
 *       samples, e.g. p90 over 128 items: robust against a few slow items, and pessimistic by
 *       design. The EWMA is still kept (see {@link #ewmaNanos()}) with alpha 0.2.</li>
 * </ul>
 *
 * <p>Pure: no clock, no threads. <b>Not thread-safe</b>: confine an estimator to one thread (an
 * {@link AdaptiveBatcher} owns its own).
 */
public final class CostEstimator {

    private final double alpha;
    private final double quantile;   // NaN for the EWMA model
    private final long[] window;     // null for the EWMA model
    private int windowCount;
    private int windowNext;
    private long samples;
    private double ewma;
    private long cachedPercentile = -1L;

    private CostEstimator(double alpha, double quantile, int windowSize) {
        this.alpha = alpha;
        this.quantile = quantile;
        this.window = windowSize > 0 ? new long[windowSize] : null;
    }

    /**
     * EWMA model.
     *
     * @param alpha weight of the newest sample, in (0, 1]
     */
    public static CostEstimator ewma(double alpha) {
        if (!(alpha > 0.0 && alpha <= 1.0)) {
            throw new IllegalArgumentException("alpha must be in (0, 1]: " + alpha);
        }
        return new CostEstimator(alpha, Double.NaN, 0);
    }

    /**
     * Percentile model.
     *
     * @param quantile in (0, 1], e.g. 0.9 for p90
     * @param window   how many recent samples to keep, &gt;= 1
     */
    public static CostEstimator percentile(double quantile, int window) {
        if (!(quantile > 0.0 && quantile <= 1.0)) {
            throw new IllegalArgumentException("quantile must be in (0, 1]: " + quantile);
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1: " + window);
        }
        return new CostEstimator(0.2, quantile, window);
    }

    /** Records the cost of one item; negative values are clamped to 0. */
    public void record(long nanos) {
        long x = Math.max(0L, nanos);
        ewma = samples == 0 ? x : alpha * x + (1.0 - alpha) * ewma;
        samples++;
        if (window != null) {
            window[windowNext] = x;
            windowNext = (windowNext + 1) % window.length;
            if (windowCount < window.length) {
                windowCount++;
            }
            cachedPercentile = -1L;
        }
    }

    /** Records a batch of {@code items} that took {@code totalNanos} together, as one per-item sample. */
    public void record(long totalNanos, int items) {
        if (items <= 0) {
            throw new IllegalArgumentException("items must be > 0: " + items);
        }
        record(totalNanos / items);
    }

    /** {@code true} once at least one sample was recorded. */
    public boolean hasEstimate() {
        return samples > 0;
    }

    /** Samples recorded so far. */
    public long samples() {
        return samples;
    }

    /** The current per-item estimate in nanoseconds; 0 before the first sample. */
    public long estimateNanos() {
        if (samples == 0) {
            return 0L;
        }
        if (window == null) {
            return Math.round(ewma);
        }
        if (cachedPercentile < 0) {
            long[] copy = Arrays.copyOf(window, windowCount);
            Arrays.sort(copy);
            int rank = (int) Math.ceil(quantile * windowCount); // nearest rank, 1-based
            cachedPercentile = copy[Math.max(0, Math.min(windowCount, rank) - 1)];
        }
        return cachedPercentile;
    }

    /** The EWMA in nanoseconds (kept in both models); 0 before the first sample. */
    public long ewmaNanos() {
        return Math.round(ewma);
    }

    /** {@link #estimateNanos()} as a Duration. */
    public Duration estimate() {
        return Duration.ofNanos(estimateNanos());
    }

    @Override
    public String toString() {
        return window == null
                ? "CostEstimator[ewma alpha=" + alpha + ", est=" + estimateNanos() + "ns]"
                : "CostEstimator[p" + Math.round(quantile * 100) + " of " + window.length + ", est=" + estimateNanos() + "ns]";
    }
}
