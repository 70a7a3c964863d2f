package io.backbeat.client;

/**
 * What a listener gets for phases the client could not deliver in time: after a silence of the pulse
 * longer than the grace, a stall of this process (GC, CPU starvation, a laptop lid), or a frame that
 * arrives after its phase. Every such phase is counted in {@link ClientStats#phasesMissed()} whatever the
 * policy, so none is lost silently.
 */
public enum MissedPhasePolicy {
    /** Deliver every missed phase, in order and marked {@link BeatContext#late()}, before the current one (the default). */
    DELIVER_LATE,
    /** Deliver only the most recent missed phase (marked late) before the current one: a scheduler that needs to run once after a pause. */
    LAST_ONLY,
    /** Deliver none of them: only count them; the current phase is delivered as usual. */
    SKIP
}
