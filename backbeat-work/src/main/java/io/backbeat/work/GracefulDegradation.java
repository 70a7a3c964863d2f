package io.backbeat.work;

import java.time.Duration;
import java.util.Objects;

/**
 * Decides between the full workload and essential work only, from the time left before a deadline:
 * when a phase callback starts with less than {@code minimumFull} remaining (a late frame, a slow
 * previous phase), only essential work should run.
 *
 * <pre>{@code
 * GracefulDegradation degradation = GracefulDegradation.belowRemaining(Duration.ofMillis(200));
 * if (degradation.mode(deadlineNanos, System.nanoTime()) == GracefulDegradation.Mode.ESSENTIAL_ONLY) {
 *     executeEssentialOnly();
 * } else {
 *     executeFullWorkload();
 * }
 * }</pre>
 *
 * <p>Immutable and thread-safe; pure (the caller passes the clock reading).
 */
public final class GracefulDegradation {

    /** Workload mode. */
    public enum Mode {
        /** Enough time: run everything. */
        FULL,
        /** Too little time: run essential work only. */
        ESSENTIAL_ONLY
    }

    private final long minimumFullNanos;

    private GracefulDegradation(long minimumFullNanos) {
        this.minimumFullNanos = minimumFullNanos;
    }

    /**
     * Degrades when less than {@code minimumFull} remains.
     *
     * @param minimumFull at least 0
     */
    public static GracefulDegradation belowRemaining(Duration minimumFull) {
        Objects.requireNonNull(minimumFull, "minimumFull");
        if (minimumFull.isNegative()) {
            throw new IllegalArgumentException("minimumFull must be >= 0: " + minimumFull);
        }
        return new GracefulDegradation(minimumFull.toNanos());
    }

    /** Mode for {@code remainingNanos} left (negative when the deadline has passed). */
    public Mode mode(long remainingNanos) {
        return remainingNanos < minimumFullNanos ? Mode.ESSENTIAL_ONLY : Mode.FULL;
    }

    /** Mode for a {@code System.nanoTime} deadline seen at {@code nowNanos}. */
    public Mode mode(long deadlineNanos, long nowNanos) {
        return mode(deadlineNanos - nowNanos);
    }

    /** The threshold. */
    public Duration minimumFull() {
        return Duration.ofNanos(minimumFullNanos);
    }

    @Override
    public String toString() {
        return "GracefulDegradation[minimumFull=" + minimumFull() + "]";
    }
}
