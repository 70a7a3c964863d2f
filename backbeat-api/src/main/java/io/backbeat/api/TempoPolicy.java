package io.backbeat.api;

import java.util.Optional;

/**
 * The tempo change rules of a cluster: a change is at most {@code maxChangeRatio} (10%) of the
 * current tempo and stays within {@code [minBpm, maxBpm]}.
 */
public record TempoPolicy(double minBpm, double maxBpm, double maxChangeRatio) {
    /** The protocol's limit on one change: 10% of the current tempo. */
    public static final double DEFAULT_MAX_CHANGE_RATIO = 0.10;

    public TempoPolicy {
        new Tempo(minBpm);
        new Tempo(maxBpm);
        if (minBpm > maxBpm) {
            throw new IllegalArgumentException("min-bpm (" + minBpm + ") must not exceed max-bpm (" + maxBpm + ")");
        }
        if (!(maxChangeRatio > 0) || !Double.isFinite(maxChangeRatio)) {
            throw new IllegalArgumentException("max change ratio must be > 0, got " + maxChangeRatio);
        }
    }

    /** The protocol's default ±10% rule within {@code [minBpm, maxBpm]}. */
    public static TempoPolicy of(double minBpm, double maxBpm) {
        return new TempoPolicy(minBpm, maxBpm, DEFAULT_MAX_CHANGE_RATIO);
    }

    /**
     * Checks a requested change. Returns a reason a person can act on when it is refused, empty when
     * it is allowed.
     */
    public Optional<String> refusal(double currentBpm, double requestedBpm) {
        if (!Double.isFinite(requestedBpm) || requestedBpm <= 0) {
            return Optional.of("tempo_bpm must be a finite number > 0, got " + requestedBpm);
        }
        if (requestedBpm < minBpm) {
            return Optional.of("tempo_bpm " + requestedBpm + " is below the cluster minimum of " + minBpm + " BPM");
        }
        if (requestedBpm > maxBpm) {
            return Optional.of("tempo_bpm " + requestedBpm + " is above the cluster maximum of " + maxBpm + " BPM");
        }
        double ratio = Math.abs(requestedBpm - currentBpm) / currentBpm;
        // a hair of tolerance so that exactly 10% written in decimal is accepted
        if (ratio > maxChangeRatio + 1e-12) {
            double lo = currentBpm * (1 - maxChangeRatio);
            double hi = currentBpm * (1 + maxChangeRatio);
            return Optional.of(String.format(java.util.Locale.ROOT,
                    "tempo_bpm %s is a %.1f%% change from the current %s BPM; one change may be at most %.0f%%"
                            + " (allowed now: %.4f to %.4f BPM)",
                    requestedBpm, ratio * 100, currentBpm, maxChangeRatio * 100, Math.max(lo, minBpm),
                    Math.min(hi, maxBpm)));
        }
        return Optional.empty();
    }
}
