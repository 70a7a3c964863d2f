package io.backbeat.pulse;

import io.backbeat.api.SchedulingClock;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.consensus.Consensus;
import io.nats.client.Connection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The reasons behind {@code GET /ready}, {@code /health} and {@code /live}, each worded for a person
 * to act on: what keeps this node from serving its role, what keeps it from doing its job, and
 * whether its threads run.
 */
final class NodeHealth {
    private final Consensus consensus;
    private final Connection nats;
    private final SchedulingClock clock;
    private final Duration grace;
    private final ClockGate clockGate;
    private final CommitProblems problems;
    private final BeatEmitter emitter;
    private final LeadershipTracker leadership;
    private final BooleanSupplier closed;

    NodeHealth(Consensus consensus, Connection nats, SchedulingClock clock, Duration grace, ClockGate clockGate,
               CommitProblems problems, BeatEmitter emitter, LeadershipTracker leadership, BooleanSupplier closed) {
        this.consensus = consensus;
        this.nats = nats;
        this.clock = clock;
        this.grace = grace;
        this.clockGate = clockGate;
        this.problems = problems;
        this.emitter = emitter;
        this.leadership = leadership;
        this.closed = closed;
    }

    /** {@code GET /ready}: no leader, no timeline, NATS down, the clock, the log. */
    List<String> notReadyReasons() {
        List<String> why = new ArrayList<>();
        if (consensus.leadership().leaderId().isEmpty()) {
            why.add("no consensus leader known");
        }
        if (consensus.committedTimeline() == null) {
            why.add("no timeline committed yet");
        }
        if (nats.getStatus() != Connection.Status.CONNECTED) {
            why.add("NATS " + nats.getStatus());
        }
        String clockWhy = clockGate.problem() != null ? clockGate.problem() : clockGate.hold();
        if (clockWhy != null) {
            why.add(clockWhy);
        }
        String storage = consensus.storageProblem();
        if (storage != null) {
            why.add(storage);
        }
        return why;
    }

    /** {@code GET /health}: the readiness reasons, a recent commit failure, a silent leader, a stopped emitter. */
    List<String> healthProblems() {
        List<String> why = new ArrayList<>(notReadyReasons());
        String commit = problems.recent();
        if (commit != null) {
            why.add(commit);
        }
        TimelineDescriptor d = consensus.committedTimeline();
        if (consensus.leadership().leader() && d != null) {
            long phase = emitter.phaseNanosNow(d);
            long quiet = clock.nanoTime() - Math.max(emitter.lastPublishNanos(), leadership.leaderSinceNanos());
            if (quiet > phase + grace.toNanos()) {
                why.add("this node leads but has published no frame for " + quiet / 1_000_000 + " ms"
                        + (consensus.leaseRemainingNanos() <= 0 ? " (no majority lease: peers unreachable?)" : ""));
            }
        }
        why.addAll(liveProblems());
        return why;
    }

    /** {@code GET /live}: the emitter thread runs (until the node is closed). */
    List<String> liveProblems() {
        return !closed.getAsBoolean() && !emitter.isAlive() ? List.of("the emitter thread has stopped") : List.of();
    }
}
