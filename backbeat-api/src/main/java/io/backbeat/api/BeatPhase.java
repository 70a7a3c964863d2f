package io.backbeat.api;

/**
 * A (beat, phase) pair of the grid without its instants, ordered by beat, then phase. The order
 * is the grid's: a pair that comes later starts later, whatever the tempo.
 *
 * @param beatIndex  the beat
 * @param phaseIndex index of the phase within the beat, from 0
 */
public record BeatPhase(long beatIndex, int phaseIndex) implements Comparable<BeatPhase> {

    /** Checks the phase index. */
    public BeatPhase {
        if (phaseIndex < 0) {
            throw new IllegalArgumentException("phase index must be >= 0, got " + phaseIndex);
        }
    }

    /** The pair of a grid position. */
    public static BeatPhase of(GridPosition position) {
        return new BeatPhase(position.beatIndex(), position.phaseIndex());
    }

    /** {@code true} when this pair comes strictly after {@code other}. */
    public boolean isAfter(BeatPhase other) {
        return compareTo(other) > 0;
    }

    @Override
    public int compareTo(BeatPhase other) {
        return GridPosition.compare(beatIndex, phaseIndex, other.beatIndex, other.phaseIndex);
    }

    /**
     * The pair right after this one on a grid of {@code phasesPerBeat} phases. A phase index beyond
     * that grid's last phase (a pair of a grid that had more phases) is followed by the next beat's
     * first phase, so the result always comes after this pair.
     *
     * @throws TimelineOverflowException when the next beat is beyond the range of a {@code long}
     */
    public BeatPhase following(int phasesPerBeat) {
        checkPhases(phasesPerBeat);
        if (phaseIndex + 1 < phasesPerBeat) {
            return new BeatPhase(beatIndex, phaseIndex + 1);
        }
        if (beatIndex == Long.MAX_VALUE) {
            throw new TimelineOverflowException("the beat after " + beatIndex + " is outside the range of a long");
        }
        return new BeatPhase(beatIndex + 1, 0);
    }

    /**
     * The pair right before this one on a grid of {@code phasesPerBeat} phases (the previous beat's
     * last phase before a first phase).
     *
     * @throws TimelineOverflowException when the previous beat is beyond the range of a {@code long}
     */
    public BeatPhase preceding(int phasesPerBeat) {
        checkPhases(phasesPerBeat);
        if (phaseIndex > 0) {
            return new BeatPhase(beatIndex, Math.min(phaseIndex, phasesPerBeat) - 1);
        }
        if (beatIndex == Long.MIN_VALUE) {
            throw new TimelineOverflowException("the beat before " + beatIndex + " is outside the range of a long");
        }
        return new BeatPhase(beatIndex - 1, phasesPerBeat - 1);
    }

    private static void checkPhases(int phasesPerBeat) {
        if (phasesPerBeat < 1) {
            throw new IllegalArgumentException("a beat has at least one phase, got " + phasesPerBeat);
        }
    }
}
