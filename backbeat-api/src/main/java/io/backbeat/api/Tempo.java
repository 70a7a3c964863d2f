package io.backbeat.api;

/**
 * A tempo in beats per minute. Fractional values are allowed (0.2 BPM is a five-minute beat).
 *
 * @param bpm beats per minute: finite and strictly positive, and long enough-lived that a beat
 *            fits in a {@code long} of nanoseconds
 */
public record Tempo(double bpm) {
    /** Smallest tempo whose beat length still fits comfortably in a long of nanoseconds. */
    public static final double MIN_BPM = 60e9 / (double) (1L << 62);
    /** Largest tempo: a beat of at least one microsecond. */
    public static final double MAX_BPM = 60e6;

    public Tempo {
        if (!Double.isFinite(bpm) || bpm <= 0) {
            throw new IllegalArgumentException("tempo must be a finite number > 0 BPM, got " + bpm);
        }
        if (bpm < MIN_BPM || bpm > MAX_BPM) {
            throw new IllegalArgumentException("tempo must be between " + MIN_BPM + " and " + MAX_BPM
                    + " BPM, got " + bpm);
        }
    }

    /** Shorthand for {@code new Tempo(bpm)}. */
    public static Tempo of(double bpm) {
        return new Tempo(bpm);
    }

    /** {@code Math.round(60e9 / bpm)}: the length of one beat in nanoseconds, per the protocol. */
    public long beatNanos() {
        return beatNanos(bpm);
    }

    /** The protocol's beat length for a tempo, without building a {@code Tempo}. */
    public static long beatNanos(double bpm) {
        return Math.round(60e9 / bpm);
    }

    @Override
    public String toString() {
        return bpm + " BPM";
    }
}
