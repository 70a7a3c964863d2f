package io.backbeat.consensus;

import io.backbeat.api.Tempo;
import io.backbeat.api.TempoPolicy;
import io.backbeat.api.TimelineDescriptor;

import java.util.Optional;

/**
 * The replicated state's transition function: pure, deterministic, shared by every consensus
 * backend. It validates every command as it applies it, so no sequence of commands, whoever
 * proposes them, can take the beat outside the cluster's policy or halt it:
 * <ul>
 *   <li>{@code Initialize} carries the cluster's tempo policy; its descriptor must be a usable grid
 *       whose tempo lies within that policy. A second one is ignored (the grid never restarts).</li>
 *   <li>{@code AssumeLeadership} is applied only for the term of the log entry that carries it
 *       (a record for a future term would fence every real leader out) and never lowers the term.</li>
 *   <li>{@code SetPendingTempo} must pass the replicated policy (bounds and the ±10% rule) against
 *       the tempo in force, and take effect at a downbeat after the anchor.</li>
 * </ul>
 * A command that fails is rejected: the state is unchanged and the outcome says why.
 */
public final class TimelineStateMachine {
    private static final int MAX_PHASES = 64;
    private static final int MAX_BEATS_PER_BAR = 1024;
    private static final int MAX_ID_LENGTH = 64;

    private TimelineStateMachine() {
    }

    /**
     * The replicated state: the descriptor ({@code null} before initialization) and the cluster's
     * tempo policy ({@code null} when the log predates replicated policies: then only the ±10% rule
     * applies).
     */
    public record State(TimelineDescriptor descriptor, TempoPolicy policy) {
        public static final State EMPTY = new State(null, null);
    }

    /** The state after a command, and why the command was rejected ({@code null}: applied or ignored). */
    public record Outcome(State state, String rejection) {
        public boolean rejected() {
            return rejection != null;
        }
    }

    /**
     * Applies {@code command} to {@code state}. {@code entryTerm} is the term of the log entry carrying
     * it, or -1 when the backend does not know it.
     */
    public static Outcome check(State state, TimelineCommand command, long entryTerm) {
        TimelineDescriptor d = state.descriptor();
        if (command instanceof TimelineCommand.Initialize i) {
            if (d != null) {
                return new Outcome(state, null); // the normal race of two first leaders: ignored
            }
            Optional<String> bad = invalidGrid(i.descriptor(), i.policy());
            return bad.map(why -> new Outcome(state, "Initialize refused: " + why))
                    .orElseGet(() -> new Outcome(new State(i.descriptor(), i.policy()), null));
        }
        if (d == null) {
            return new Outcome(state, command.getClass().getSimpleName() + " refused: the cluster has no timeline yet");
        }
        if (command instanceof TimelineCommand.AssumeLeadership a) {
            if (entryTerm >= 0 && a.term() != entryTerm) {
                return new Outcome(state, "AssumeLeadership refused: it names term " + a.term()
                        + " but was written in term " + entryTerm);
            }
            if (a.leaderId().isEmpty() || a.leaderId().length() > MAX_ID_LENGTH) {
                return new Outcome(state, "AssumeLeadership refused: bad leader id");
            }
            if (a.term() < d.term()) {
                return new Outcome(state, "AssumeLeadership refused: term " + a.term() + " is below the recorded "
                        + d.term());
            }
            return new Outcome(new State(d.withLeader(a.term(), a.leaderId()), state.policy()), null);
        }
        if (command instanceof TimelineCommand.SetPendingTempo s) {
            TimelineDescriptor settled = d.settle(s.decidedAtNanos());
            TempoPolicy policy = state.policy() != null ? state.policy()
                    : TempoPolicy.of(Tempo.MIN_BPM, Tempo.MAX_BPM);
            Optional<String> refusal = policy.refusal(settled.tempoBpm(), s.pending().tempoBpm());
            if (refusal.isPresent()) {
                return new Outcome(state, "SetPendingTempo refused: " + refusal.get());
            }
            if (s.pending().atBeatIndex() <= settled.anchorBeatIndex()
                    || Math.floorMod(s.pending().atBeatIndex(), settled.beatsPerBar()) != 0) {
                // stale or malformed proposal: the due change is folded in, nothing new is pending
                return new Outcome(new State(settled, state.policy()), "SetPendingTempo refused: beat "
                        + s.pending().atBeatIndex() + " is not a downbeat after the anchor");
            }
            return new Outcome(new State(settled.withPending(s.pending()), state.policy()), null);
        }
        return new Outcome(state, "unknown command " + command);
    }

    private static Optional<String> invalidGrid(TimelineDescriptor d, TempoPolicy policy) {
        if (d.beatsPerBar() < 1 || d.beatsPerBar() > MAX_BEATS_PER_BAR) {
            return Optional.of("beats per bar " + d.beatsPerBar() + " outside 1.." + MAX_BEATS_PER_BAR);
        }
        if (d.phases().isEmpty() || d.phases().size() > MAX_PHASES
                || d.phases().stream().anyMatch(p -> p.isBlank() || p.length() > MAX_ID_LENGTH)) {
            return Optional.of("phases must be 1.." + MAX_PHASES + " non-blank names");
        }
        if (d.anchorBeatIndex() < 0 || d.term() < 0) {
            return Optional.of("negative anchor beat or term");
        }
        if (policy != null && (d.tempoBpm() < policy.minBpm() || d.tempoBpm() > policy.maxBpm())) {
            return Optional.of("tempo " + d.tempoBpm() + " BPM outside the policy [" + policy.minBpm() + ", "
                    + policy.maxBpm() + "]");
        }
        return Optional.empty();
    }

    /** The descriptor after {@code command} (rejected commands leave it unchanged), without a policy. */
    public static TimelineDescriptor apply(TimelineDescriptor state, TimelineCommand command) {
        return check(new State(state, null), command, -1).state().descriptor();
    }
}
