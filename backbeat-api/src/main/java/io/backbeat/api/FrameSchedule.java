package io.backbeat.api;

/**
 * Which frame a publisher emits next, and when: the one rule every publisher of the beat subject
 * follows (the pulse's emitter and the test kit's pulses), so they cannot disagree on it.
 *
 * <ul>
 *   <li>A run that has emitted nothing yet starts at the first phase that begins strictly after
 *       now.</li>
 *   <li>Otherwise the next pair is the one right after the last pair emitted, on the grid in
 *       force now: a tempo change, a new descriptor or a wall clock stepping back never makes a
 *       pair come twice or out of order (the publisher waits for the grid to reach it instead).</li>
 *   <li>A floor pair (one already on the wire, say, published under an earlier term, or
 *       {@link #beforeAnchor the pair before the anchor}) is never emitted, nor anything before it:
 *       the next pair is strictly after it.</li>
 *   <li>Phases that already ended are never emitted: when the next pair ended before now, the
 *       phase in progress now is next instead, and the phases passed over are counted.</li>
 * </ul>
 *
 * <p>Pure: no clock is read here and nothing is kept between calls; the publisher passes the
 * grid, what it emitted and the time, waits for {@link Emission#instantNanos()} on its own clock,
 * then builds the frame with {@link BeatFrame#at}.
 */
public final class FrameSchedule {
    private FrameSchedule() {
    }

    /**
     * The next emission.
     *
     * @param position      the (beat, phase) to emit, with its start (the instant to emit at) and deadline
     * @param skippedPhases how many phases between the last pair (or the floor) and {@code position}
     *                      were passed over because they had ended; 0 when none
     */
    public record Emission(GridPosition position, long skippedPhases) {

        /** The instant to emit at: the phase's start, epoch nanoseconds. */
        public long instantNanos() {
            return position.phaseStartNanos();
        }

        /** The (beat, phase) pair emitted. */
        public BeatPhase pair() {
            return BeatPhase.of(position);
        }

        /** {@code true} when the phase has ended at {@code epochNanos}: its frame must not be sent then. */
        public boolean endedAt(long epochNanos) {
            return epochNanos >= position.deadlineNanos();
        }
    }

    /**
     * What to emit next on {@code grid} at {@code nowNanos}, after {@code last} and strictly after
     * {@code floor}. The result is always strictly after both and its phase has not ended at
     * {@code nowNanos}. Its instant is usually later than {@code nowNanos}; it is not when the
     * publisher is late (the next pair has begun already) or when phases were skipped (it is then the
     * phase in progress): the publisher decides whether a phase begun already may still go out.
     *
     * @param grid     the grid in force now
     * @param last     the last pair this publisher emitted (or passed over), or {@code null} when none
     * @param floor    a pair that must not be emitted again, nor anything before it, or {@code null}
     * @param nowNanos the wall clock now, epoch nanoseconds
     * @throws TimelineOverflowException when the next phase lies beyond the range of a {@code long}
     */
    public static Emission next(Timeline grid, BeatPhase last, BeatPhase floor, long nowNanos) {
        int phases = grid.phases().size();
        BeatPhase candidate = last == null ? BeatPhase.of(grid.nextPhaseAfter(nowNanos)) : last.following(phases);
        if (floor != null && !candidate.isAfter(floor)) {
            candidate = floor.following(phases);
        }
        GridPosition position = grid.position(candidate.beatIndex(), candidate.phaseIndex());
        if (position.deadlineNanos() > nowNanos) {
            return new Emission(position, 0);
        }
        GridPosition current = grid.positionAt(nowNanos);
        return new Emission(current, phasesBetween(candidate, BeatPhase.of(current), phases));
    }

    /**
     * The pair right before the first phase of the grid's anchor beat. As a floor it keeps a run
     * from starting before the anchor: a fresh cluster's first frame is its anchor beat's first
     * phase, not one of a beat before it.
     *
     * @throws TimelineOverflowException when the anchor beat is the lowest a {@code long} holds
     */
    public static BeatPhase beforeAnchor(Timeline grid) {
        return new BeatPhase(grid.descriptor().anchorBeatIndex(), 0).preceding(grid.phases().size());
    }

    /** Phases from {@code from} (counted) to {@code to} (not counted), {@code from} before {@code to}. */
    private static long phasesBetween(BeatPhase from, BeatPhase to, int phases) {
        try {
            long beats = Math.subtractExact(to.beatIndex(), from.beatIndex());
            return Math.addExact(Math.multiplyExact(beats, phases), to.phaseIndex() - from.phaseIndex());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE; // more phases than a long counts: all of them ended
        }
    }
}
