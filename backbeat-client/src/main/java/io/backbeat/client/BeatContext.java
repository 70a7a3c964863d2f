package io.backbeat.client;

import io.backbeat.api.ClaimState;

import java.time.Duration;
import java.time.Instant;

/**
 * What a phase callback knows: where on the grid it is, its deadline, whether it was derived
 * locally, and a way to report the outcome. One instance per (beat, phase) delivery; immutable
 * except for {@link #report}, which is thread-safe.
 */
public interface BeatContext {
    /** The beat. */
    long beatIndex();

    /** The phase name. */
    String phase();

    /** Index of the phase within the beat. */
    int phaseIndex();

    /** {@code true} for the beat that starts a bar. */
    boolean downbeat();

    /** Window id of the bar. */
    String windowId();

    /** The HLC of the frame (or of this client, for a derived phase). */
    String hlc();

    /** Tempo of this beat. */
    double tempoBpm();

    /** The leadership term the phase belongs to (the last accepted one when derived). */
    long term();

    /** The leader's node id, or empty when unknown. */
    String leaderId();

    /** {@code true} when the pulse was unreachable and this phase was derived from the local grid. */
    boolean degraded();

    /** Start of the phase on the wall clock. */
    Instant phaseStart();

    /** End of the phase on the wall clock. */
    Instant deadlineAt();

    /** The end of the phase as a monotonic deadline. */
    BeatDeadline deadline();

    /** Adds to the tasks-per-beat metric. */
    void countTasks(int n);

    /**
     * Publishes a StatusClaim for this (beat, phase); best effort, never throws for transport errors.
     *
     * @throws IllegalStateException when this context already reported (one claim per phase and listener)
     */
    void report(ClaimState state, String detail);

    /** Length of this phase on the grid (its deadline minus its start). */
    default Duration phaseDuration() {
        return Duration.between(phaseStart(), deadlineAt());
    }

    /** Beats in a bar of the grid this phase is on. */
    int beatsPerBar();

    /** The bar this beat belongs to: {@code floorDiv(beatIndex, beatsPerBar)}. */
    default long barIndex() {
        return Math.floorDiv(beatIndex(), (long) beatsPerBar());
    }

    /** Position of the beat within its bar, 0 for the downbeat. */
    default int beatInBar() {
        return (int) Math.floorMod(beatIndex(), (long) beatsPerBar());
    }

    /**
     * {@code true} when this phase is delivered after it should have started by more than the grace:
     * a phase the client could not deliver in time (a silence, a stall) and delivers late because the
     * listener asked for it ({@link MissedPhasePolicy#DELIVER_LATE}, {@link MissedPhasePolicy#LAST_ONLY});
     * its {@link #deadline()} is the real one, possibly already past.
     */
    default boolean late() {
        return false;
    }
}
