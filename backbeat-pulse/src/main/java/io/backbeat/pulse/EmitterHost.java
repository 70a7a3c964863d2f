package io.backbeat.pulse;

import io.backbeat.api.BeatPhase;
import io.backbeat.consensus.Consensus;

/**
 * The {@link BeatEmitter}'s view of its node: the clock gate and the log for its fences, the highest
 * term and pair seen, the frame monitor for its publishes, and the node's hand-over remedies.
 */
final class EmitterHost implements BeatEmitter.Host {
    private final Consensus consensus;
    private final ClockGate clockGate;
    private final LeadershipTracker leadership;
    private final FrameMonitor frames;
    private final HandOvers handOvers;

    EmitterHost(Consensus consensus, ClockGate clockGate, LeadershipTracker leadership, FrameMonitor frames,
                HandOvers handOvers) {
        this.consensus = consensus;
        this.clockGate = clockGate;
        this.leadership = leadership;
        this.frames = frames;
        this.handOvers = handOvers;
    }

    @Override
    public String clockProblem() {
        String clockWhy = clockGate.problemNow();
        return clockWhy != null ? clockWhy : consensus.storageProblem();
    }

    @Override
    public String holdReason() {
        return clockGate.hold();
    }

    @Override
    public long highestTerm() {
        return leadership.highestTerm();
    }

    @Override
    public BeatPhase highestSeen() {
        return frames.highestSeen();
    }

    @Override
    public void published(long beat, int phase) {
        frames.noteSeen(beat, phase);
        frames.notePublished();
    }

    @Override
    public long unconfirmedSinceNanos() {
        return frames.unconfirmedSinceNanos();
    }

    @Override
    public void framesVanish(String why) {
        handOvers.dropNatsConnection(why);
    }

    @Override
    public void handOver(String why) {
        // a clock hand-over logs the samples it rests on: why it came when it did can be read afterwards
        handOvers.request(clockGate.problem() != null ? why + "; evidence: " + clockGate.evidence() : why);
    }
}
