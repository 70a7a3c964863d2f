package io.backbeat.work;

/**
 * Batch duration model {@code d = fixed + perItem * n}, fitted by least squares with exponential
 * forgetting over observed (n, d) pairs. Used by {@link AdaptiveBatcher} in batch mode, where a bulk
 * call usually has a fixed part (a round trip) that a per-item average cannot represent. Until two
 * different batch sizes were seen it falls back to {@code fixed = 0, perItem = sum d / sum n}.
 * Not thread-safe.
 */
final class BatchCostModel {

    private final double decay;
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
