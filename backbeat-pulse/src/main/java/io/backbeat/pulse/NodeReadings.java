package io.backbeat.pulse;

import io.backbeat.api.EpochNanos;
import io.backbeat.api.SchedulingClock;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.consensus.Consensus;
import io.backbeat.pulse.admin.PulseAdmin.DriftStatus;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * What this node measures now, for its gauges, its reports and {@code GET /drift}: how long it has
 * been degraded (on its own grid), its clock's rate error and offset, and the tempo and beat in
 * force on the replicated grid.
 */
final class NodeReadings {
    private final Consensus consensus;
    private final SchedulingClock clock;
    private final FrameMonitor frames;
    private final ClockGate clockGate;
    private final Duration grace;
    private final long startedEpochNanos;

    /** @param startedEpochNanos when this node started ({@code clock}'s epoch nanoseconds): degraded from there */
    NodeReadings(Consensus consensus, SchedulingClock clock, FrameMonitor frames, ClockGate clockGate, Duration grace,
                 long startedEpochNanos) {
        this.consensus = consensus;
        this.clock = clock;
        this.frames = frames;
        this.clockGate = clockGate;
        this.grace = grace;
        this.startedEpochNanos = startedEpochNanos;
    }

    /** Nanoseconds this node has been degraded (on its own grid), or -1 when it is not. */
    long degradedNanos() {
        long now = clock.epochNanos();
        long seen = frames.lastFrameSeenEpoch();
        long since = seen == 0 ? startedEpochNanos : frames.lastFramePhaseEnd() + grace.toNanos();
        return now > since ? now - since : -1;
    }

    /** The tempo in force on the replicated timeline now, NaN without one. */
    double tempoInForce() {
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null) {
            return Double.NaN;
        }
        try {
            Timeline t = Timeline.of(d);
            return t.tempoBpmOf(t.beatIndexAt(clock.epochNanos()));
        } catch (ArithmeticException e) {
            return Double.NaN;
        }
    }

    /** The grid's beat now, {@link Long#MIN_VALUE} without a grid. */
    long currentBeat() {
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null) {
            return Long.MIN_VALUE;
        }
        try {
            return Timeline.of(d).beatIndexAt(clock.epochNanos());
        } catch (ArithmeticException e) {
            return Long.MIN_VALUE;
        }
    }

    /**
     * The clock's rate error (signed ratio, positive = fast): against the leader's frames when another
     * node leads and enough of its frames came, else against the peers' clocks (clock probes); NaN when
     * neither is measured.
     */
    double driftRatio() {
        double fromFrames = frames.driftRatio();
        if (!consensus.leadership().leader() && !Double.isNaN(fromFrames)) {
            return fromFrames;
        }
        java.util.OptionalDouble fromPeers = clockGate.peerRate();
        return fromPeers.isPresent() ? fromPeers.getAsDouble() : fromFrames;
    }

    /** GET /drift. */
    DriftStatus drift() {
        long now = clock.epochNanos();
        long seen = frames.lastFrameSeenEpoch();
        boolean degraded = seen == 0 || now > frames.lastFramePhaseEnd() + grace.toNanos();
        double ratio = driftRatio();
        double percent = Double.isNaN(ratio) ? 0 : Math.abs(ratio) * 100;
        String source = Double.isNaN(ratio) ? null
                : !consensus.leadership().leader() && !Double.isNaN(frames.driftRatio()) ? "frames" : "peers";
        OptionalLong offset = clockGate.verdict().offsetNanos();
        boolean clockOk = clockGate.problem() == null;
        return new DriftStatus(percent, frames.hlcDriftSeconds(), seen == 0 ? null : EpochNanos.rfc3339(seen),
                degraded, percent <= 1.0 && !degraded && clockOk, frames.framesObserved(), frames.lastLagMillis(),
                offset.isPresent() ? offset.getAsLong() / 1e9 : null, clockGate.maxOffset().toNanos() / 1e9,
                Double.isNaN(ratio) ? null : ratio * 1e6, source, Math.max(0, degradedNanos()) / 1e9);
    }
}
