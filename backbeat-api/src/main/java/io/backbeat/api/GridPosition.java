package io.backbeat.api;

/**
 * Where an instant falls on the beat grid.
 *
 * @param beatIndex       the beat
 * @param phaseIndex      index of the phase within the beat
 * @param phase           the phase name
 * @param phaseStartNanos start of the phase, epoch nanoseconds
 * @param deadlineNanos   end of the phase (start of the next phase), epoch nanoseconds
 * @param downbeat        {@code true} when the beat starts a bar
 * @param tempoBpm        tempo of this beat
 */
public record GridPosition(long beatIndex, int phaseIndex, String phase, long phaseStartNanos, long deadlineNanos,
                           boolean downbeat, double tempoBpm) {

    /** Length of the phase in nanoseconds. */
    public long phaseNanos() {
        return deadlineNanos - phaseStartNanos;
    }

    /** {@code true} when this position comes strictly before {@code other} on the grid. */
    public boolean isBefore(GridPosition other) {
        return compare(beatIndex, phaseIndex, other.beatIndex, other.phaseIndex) < 0;
    }

    /** Orders (beat, phase) pairs. */
    public static int compare(long beatA, int phaseA, long beatB, int phaseB) {
        int c = Long.compare(beatA, beatB);
        return c != 0 ? c : Integer.compare(phaseA, phaseB);
    }
}
