package io.backbeat.work;

/**
 * Batch duration model {@code d = fixed + perItem * n}, fitted by least squares with exponential
 * forgetting over observed (n, d) pairs. Used by {@link AdaptiveBatcher} in batch mode, where a bulk
 * call usually has a fixed part (a round trip) that a per-item average cannot represent. Until two
 * different batch sizes were seen it falls back to {@code fixed = 0, perItem = sum d / sum n}.
 *
 * <p>An outlier would skew the two-parameter fit for many batches (one slow batch of one item
 * reads as a large fixed part and a too-small per-item cost, so the next big batch overruns). So
 * when a batch took more than twice or less than half of what the model predicted (and at least
 * {@link #RESTART_NANOS} apart), the model <em>restarts</em> from that batch alone, and from then on
 * a batch may be at most twice the largest batch seen since the restart ({@link #sizeCap()}), so the
 * new fit is extended gradually. Not thread-safe.
 */
final class BatchCostModel {

    /** A misprediction smaller than this never restarts the model (timer noise on tiny batches). */
    static final long RESTART_NANOS = 1_000_000L;

    private final double decay;
    private long restarts;
    private int largestSinceRestart; // 0: never restarted, no cap
    private double sw;
    private double sn;
    private double sd;
    private double snn;
    private double snd;
    private double fixed;
    private double perItem;
    private boolean known;

    BatchCostModel(double decay) {
        this.decay = decay;
    }

    void record(int n, long nanos) {
        double d = Math.max(0L, nanos);
        if (known) {
            double predicted = fixed + perItem * n;
            if (Math.abs(d - predicted) >= RESTART_NANOS && (d > 2 * predicted || d < predicted / 2)) {
                sw = 0;
                sn = 0;
                sd = 0;
                snn = 0;
                snd = 0;
                restarts++;
                largestSinceRestart = n;
            }
        }
        if (largestSinceRestart > 0) {
            largestSinceRestart = Math.max(largestSinceRestart, n);
        }
        sw = sw * decay + 1;
        sn = sn * decay + n;
        sd = sd * decay + d;
        snn = snn * decay + (double) n * n;
        snd = snd * decay + n * d;
        double det = sw * snn - sn * sn;
        double b = det > 1e-9 * sw * snn ? (sw * snd - sn * sd) / det : Double.NaN;
        double a = Double.isNaN(b) ? Double.NaN : (sd - b * sn) / sw;
        if (Double.isNaN(b) || b < 0 || a < 0) {
            // degenerate or implausible fit: everything per item
            fixed = 0;
            perItem = sn > 0 ? sd / sn : 0;
        } else {
            fixed = a;
            perItem = b;
        }
        known = true;
    }

    /** Largest batch to plan: twice the largest batch since the last restart; unlimited before any restart. */
    int sizeCap() {
        return largestSinceRestart == 0 ? Integer.MAX_VALUE : (int) Math.min(Integer.MAX_VALUE, 2L * largestSinceRestart);
    }

    /** How many times a misprediction restarted the fit. */
    long restarts() {
        return restarts;
    }

    boolean known() {
        return known;
    }

    long fixedNanos() {
        return Math.round(fixed);
    }

    long perItemNanos() {
        return Math.round(perItem);
    }
}
