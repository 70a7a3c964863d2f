package io.backbeat.pulse.clock;

import java.util.ArrayDeque;

/**
 * One peer's samples in {@link ClockOffsetEstimator}: a sliding window of its last accepted exchanges,
 * anchored at the newest sample's {@code t3}, with the minimum-delay offset, the least-squares rate
 * fit over the samples whose round trip is near the smallest, and the offset read off that fit.
 * Not thread-safe: the estimator guards it.
 */
final class PeerWindow {
    /** Largest rate believed, as a fraction (5 %): a steeper fit is noise or a stepped clock. */
    private static final double MAX_RATE = 0.05;
    /** Round trip beyond the smallest that an exchange may have and still count in the rate fit. */
    private static final long FIT_RTT_SLACK_NANOS = 5_000_000L;

    /** Marks a sample taken without a monotonic reading: its local clock step cannot be followed. */
    static final long NO_MONO = Long.MIN_VALUE;

    /**
     * One exchange: the peer's offset, the round trip, this node's receive instant, and this node's wall
     * clock minus its monotonic clock at that instant ({@link #NO_MONO} when not known).
     */
    record Sample(long offsetNanos, long rttNanos, long t3, long wallMinusMono) {
    }

    private final int capacity;
    private final long maxAgeNanos;
    private final ArrayDeque<Sample> w;

    PeerWindow(int capacity, long maxAgeNanos) {
        this.capacity = capacity;
        this.maxAgeNanos = maxAgeNanos;
        this.w = new ArrayDeque<>(capacity);
    }

    /** Adds a sample, forgetting those more than the maximum age from it and the oldest beyond the capacity. */
    void add(long offsetNanos, long rttNanos, long t3, long wallMinusMono) {
        w.removeIf(s -> Math.abs(s.t3() - t3) > maxAgeNanos);
        if (w.size() == capacity) {
            w.removeFirst();
        }
        w.addLast(new Sample(offsetNanos, rttNanos, t3, wallMinusMono));
    }

    boolean isEmpty() {
        return w.isEmpty();
    }

    /** The newest sample's {@code t3}; the window must not be empty. */
    long newestT3() {
        return w.peekLast().t3();
    }

    /** The newest sample is within the maximum age of {@code nowEpochNanos}. */
    boolean fresh(long nowEpochNanos) {
        return !w.isEmpty() && Math.abs(nowEpochNanos - w.peekLast().t3()) <= maxAgeNanos;
    }

    /**
     * The peer's offset at {@code atEpochNanos}: the fitted line there once a rate is fitted (it averages
     * the samples' noise as well as following the rate), else the minimum-delay sample's offset.
     */
    long offsetAt(long atEpochNanos) {
        double[] fit = fit();
        if (fit == null) {
            return best().offsetNanos();
        }
        double at = fit[1] + fit[0] * (double) (atEpochNanos - w.peekLast().t3()) + w.peekLast().offsetNanos();
        return (long) Math.max(Long.MIN_VALUE / 2, Math.min(Long.MAX_VALUE / 2, at));
    }

    /**
     * The newest sample's offset moved toward zero by half its round trip: whatever the path's asymmetry,
     * the peer's true offset at that sample was at least this far from zero, on this side. A floor for
     * judging a clock that just began to run away, while the fit or the minimum-delay sample still trails.
     * With {@code nowWallMinusMono} (this node's wall clock minus its monotonic clock now, or
     * {@link #NO_MONO}) the sample is first carried to now by the step this node's wall clock has made
     * against its monotonic clock since: a wall clock that jumps 40 ms ahead puts every peer 40 ms
     * further behind at once, before any exchange shows it.
     */
    long newestFloor(long nowWallMinusMono) {
        Sample s = w.peekLast();
        long half = s.rttNanos() / 2;
        long o = s.offsetNanos();
        if (nowWallMinusMono != NO_MONO && s.wallMinusMono() != NO_MONO) {
            o -= nowWallMinusMono - s.wallMinusMono();
        }
        return o > half ? o - half : o < -half ? o + half : 0;
    }

    /** The fitted rate, NaN while none is fitted. */
    double slope() {
        double[] fit = fit();
        return fit == null ? Double.NaN : fit[0];
    }

    /** The sample with the smallest round trip (the newer on a tie), null when empty. */
    Sample best() {
        Sample best = null;
        for (Sample s : w) {
            if (best == null || s.rttNanos() <= best.rttNanos()) {
                best = s;
            }
        }
        return best;
    }

    /**
     * Least-squares line of offset over {@code t3} ({@code {slope, intercept}}, the intercept relative
     * to the newest sample's offset at its {@code t3}), using the samples whose round trip is within
     * {@code max(5 ms, min)} of the smallest; null while the window is too short or the slope is past 5 %.
     * An exchange's round trip bounds its error to half of it, so 5 ms more costs at most 2.5 ms, while a
     * tighter cap on a loaded machine (one fast exchange among slow ones) leaves no fit at all.
     */
    private double[] fit() {
        if (w.size() < ClockOffsetEstimator.MIN_RATE_SAMPLES
                || w.peekLast().t3() - w.peekFirst().t3() < ClockOffsetEstimator.MIN_RATE_SPAN_MS * 1_000_000) {
            return null;
        }
        long minRtt = Long.MAX_VALUE;
        for (Sample s : w) {
            minRtt = Math.min(minRtt, s.rttNanos());
        }
        long rttCap = minRtt + Math.max(FIT_RTT_SLACK_NANOS, minRtt);
        long x0 = w.peekLast().t3();
        long y0 = w.peekLast().offsetNanos();
        int n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        double first = Double.NaN;
        double last = Double.NaN;
        for (Sample s : w) {
            if (s.rttNanos() > rttCap) {
                continue;
            }
            double x = s.t3() - x0;
            double y = s.offsetNanos() - y0;
            first = Double.isNaN(first) ? x : first;
            last = x;
            n++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        if (n < ClockOffsetEstimator.MIN_RATE_SAMPLES || last - first < ClockOffsetEstimator.MIN_RATE_SPAN_MS * 1e6) {
            return null;
        }
        double den = n * sxx - sx * sx;
        if (den <= 0) {
            return null;
        }
        double slope = (n * sxy - sx * sy) / den;
        return Math.abs(slope) > MAX_RATE ? null : new double[] {slope, (sy - slope * sx) / n};
    }

    /**
     * The window as evidence for a log line, times relative to {@code nowEpochNanos}: the fit (or that
     * there is none), the offset read now, the newest floor, and every sample as
     * {@code offset/rtt@age} in milliseconds (for finding out afterwards why a verdict came when it did).
     */
    String describe(long nowEpochNanos) {
        if (w.isEmpty()) {
            return "no samples";
        }
        double slope = slope();
        StringBuilder b = new StringBuilder(64 + 24 * w.size());
        b.append(String.format(java.util.Locale.ROOT, "now %+.1f ms, floor %+.1f ms, %s, samples",
                offsetAt(nowEpochNanos) / 1e6, newestFloor(NO_MONO) / 1e6,
                Double.isNaN(slope) ? "no rate fit" : String.format(java.util.Locale.ROOT, "rate %+.3f %%", slope * 100)));
        for (Sample s : w) {
            b.append(String.format(java.util.Locale.ROOT, " %+.1f/%.2f@%.1fs", s.offsetNanos() / 1e6, s.rttNanos() / 1e6,
                    (s.t3() - nowEpochNanos) / 1e9));
        }
        return b.toString();
    }
}
