package io.backbeat.testkit.client;

import io.backbeat.api.EpochClock;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A listener that records every callback, for tests: the phases with their arrival on the wall
 * clock, and the degraded/recovered/leader/tempo notices. Arrivals are read from the clock the
 * client runs on (the clock of each context's deadline: virtual time on a {@code VirtualClock},
 * the system clock otherwise), or from the clock given to {@link #RecordingListener(EpochClock)}.
 * Thread-safe.
 */
public class RecordingListener implements BeatListener {

    /** One phase callback as seen by the listener. */
    public record Seen(long beatIndex, int phaseIndex, String phase, boolean degraded, long term,
                       long phaseStartEpochNanos, long deadlineEpochNanos, long arrivedEpochNanos, double tempoBpm) {
        /** How long after the grid's phase start the callback ran. */
        public long lagNanos() {
            return arrivedEpochNanos - phaseStartEpochNanos;
        }
    }

    private final List<Seen> phases = new CopyOnWriteArrayList<>();
    private final List<String> notices = new CopyOnWriteArrayList<>();
    private final EpochClock clock; // null: the client's, from the context

    /** Stamps arrivals with the clock the client runs on (that of each context's deadline). */
    public RecordingListener() {
        this.clock = null;
    }

    /** Stamps arrivals with {@code clock} (a {@code VirtualClock}, {@code BeatClock.system()}, ...). */
    public RecordingListener(EpochClock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void onPhase(BeatContext ctx) {
        long now = (clock != null ? clock : ctx.deadline().clock()).epochNanos();
        phases.add(new Seen(ctx.beatIndex(), ctx.phaseIndex(), ctx.phase(), ctx.degraded(), ctx.term(),
                io.backbeat.api.EpochNanos.of(ctx.phaseStart()), io.backbeat.api.EpochNanos.of(ctx.deadlineAt()), now,
                ctx.tempoBpm()));
        afterPhase(ctx);
    }

    /** Hook for subclasses (e.g. to sleep or throw); runs after recording. */
    protected void afterPhase(BeatContext ctx) {
    }

    @Override
    public void onDegraded(String reason) {
        notices.add("degraded");
    }

    @Override
    public void onRecovered(Duration correction) {
        notices.add("recovered");
    }

    @Override
    public void onLeaderChange(String leaderId, long term) {
        notices.add("leader " + leaderId + " " + term);
    }

    @Override
    public void onTempoChange(double oldBpm, double newBpm) {
        notices.add("tempo " + oldBpm + " -> " + newBpm);
    }

    /** The phases seen so far, in callback order. */
    public List<Seen> phases() {
        return List.copyOf(phases);
    }

    /** The notices seen so far ("degraded", "recovered", "leader ID TERM", "tempo A -> B"). */
    public List<String> notices() {
        return List.copyOf(notices);
    }

    /**
     * Problems with the sequence, given the number of phases per beat: a (beat, phase) seen twice,
     * one going backwards, or (when {@code requireContiguous}) one skipped. Empty when all is well.
     */
    public List<String> sequenceProblems(int phasesPerBeat, boolean requireContiguous) {
        List<String> problems = new ArrayList<>();
        List<Seen> s = phases();
        for (int i = 1; i < s.size(); i++) {
            Seen a = s.get(i - 1);
            Seen b = s.get(i);
            long ka = a.beatIndex() * phasesPerBeat + a.phaseIndex();
            long kb = b.beatIndex() * phasesPerBeat + b.phaseIndex();
            if (kb <= ka) {
                problems.add("not after: " + a + " then " + b);
            } else if (requireContiguous && kb != ka + 1) {
                problems.add("skipped " + (kb - ka - 1) + " phase(s) between " + a + " and " + b);
            }
        }
        return problems;
    }
}
