package io.backbeat.pulse.consensus;

import io.backbeat.api.TimelineDescriptor;

/** The replicated state's transition function: pure, deterministic, shared by every consensus backend. */
public final class TimelineStateMachine {
    private TimelineStateMachine() {
    }

    /**
     * The state after {@code command}. {@code state} is {@code null} before initialization.
     * Commands that do not apply (a second Initialize, an older term, a tempo change before
     * initialization) leave the state unchanged.
     */
    public static TimelineDescriptor apply(TimelineDescriptor state, TimelineCommand command) {
        return apply(state, command, -1);
    }

    /**
     * As {@link #apply(TimelineDescriptor, TimelineCommand)}, for a backend that knows the term of the
     * log entry carrying {@code command} ({@code entryTerm >= 0}): a leadership record is applied only
     * for that very term, so no entry can claim a term its leader was not elected in (a record for a
     * future term would fence every real leader out).
     */
    public static TimelineDescriptor apply(TimelineDescriptor state, TimelineCommand command, long entryTerm) {
        if (entryTerm >= 0 && command instanceof TimelineCommand.AssumeLeadership a && a.term() != entryTerm) {
            return state;
        }
        if (command instanceof TimelineCommand.Initialize i) {
            return state != null ? state : i.descriptor();
        }
        if (state == null) {
            return null;
        }
        if (command instanceof TimelineCommand.AssumeLeadership a) {
            return a.term() < state.term() ? state : state.withLeader(a.term(), a.leaderId());
        }
        if (command instanceof TimelineCommand.SetPendingTempo s) {
            TimelineDescriptor settled = state.settle(s.decidedAtNanos());
            if (s.pending().atBeatIndex() <= settled.anchorBeatIndex()
                    || Math.floorMod(s.pending().atBeatIndex(), settled.beatsPerBar()) != 0) {
                return settled; // stale or malformed proposal: nothing pending is set
            }
            return settled.withPending(s.pending());
        }
        throw new IllegalArgumentException("unknown command " + command);
    }
}
