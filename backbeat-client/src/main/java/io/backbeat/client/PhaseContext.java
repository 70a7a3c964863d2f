package io.backbeat.client;

import io.backbeat.api.ClaimState;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.api.WindowId;

import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/** One (beat, phase) delivery: the {@link BeatContext} every listener of the client receives. */
final class PhaseContext implements BeatContext {
    private final GridPosition pos;
    private final boolean isDerived;
    private final String hlcText;
    private final long term;
    private final String leader;
    private final BeatDeadline deadline;
    private final ClientState state;
    private final LongAdder tasks;
    private final StatusReporter reporter;
    private final java.util.concurrent.atomic.AtomicReference<ClaimState> reported = new java.util.concurrent.atomic.AtomicReference<>();
    private final int beatsPerBar;
    private final boolean late;

    PhaseContext(GridPosition pos, boolean isDerived, String hlcText, long term, String leader, BeatDeadline deadline,
                 ClientState state, LongAdder tasks, StatusReporter reporter, int beatsPerBar, boolean late) {
        this.beatsPerBar = Math.max(1, beatsPerBar);
        this.late = late;
        this.pos = pos;
        this.isDerived = isDerived;
        this.hlcText = hlcText;
        this.term = term;
        this.leader = leader;
        this.deadline = deadline;
        this.state = state;
        this.tasks = tasks;
        this.reporter = reporter;
    }

    @Override public long beatIndex() { return pos.beatIndex(); }
    @Override public String phase() { return pos.phase(); }
    @Override public int phaseIndex() { return pos.phaseIndex(); }
    @Override public boolean downbeat() { return pos.downbeat(); }
    @Override public String windowId() {
        Timeline t = state.timeline;
        int bar = t != null ? t.beatsPerBar() : 1;
        return WindowId.of(state.clusterId, pos.beatIndex(), bar);
    }
    @Override public String hlc() { return hlcText; }
    @Override public double tempoBpm() { return pos.tempoBpm(); }
    @Override public long term() { return term; }
    @Override public String leaderId() { return leader; }
    @Override public boolean degraded() { return isDerived; }
    @Override public Instant phaseStart() { return EpochNanos.toInstant(pos.phaseStartNanos()); }
    @Override public Instant deadlineAt() { return EpochNanos.toInstant(pos.deadlineNanos()); }
    @Override public BeatDeadline deadline() { return deadline; }
    @Override public void countTasks(int n) { tasks.add(n); }
    @Override public int beatsPerBar() { return beatsPerBar; }
    @Override public boolean late() { return late; }

    @Override
    public void report(ClaimState claimState, String detail) {
        java.util.Objects.requireNonNull(claimState, "state");
        if (!reported.compareAndSet(null, claimState)) {
            throw new IllegalStateException("beat " + pos.beatIndex() + " " + pos.phase() + " was already reported as "
                    + reported.get() + "; one claim per phase and listener");
        }
        reporter.report(pos, deadline, claimState, detail);
    }

    @Override
    public String toString() {
        return "beat=" + pos.beatIndex() + " phase=" + pos.phase() + " degraded=" + isDerived + (late ? " late" : "")
                + " term=" + term;
    }
}
