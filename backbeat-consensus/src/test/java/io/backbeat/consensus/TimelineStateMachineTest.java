package io.backbeat.consensus;

import io.backbeat.api.PendingTempo;
import io.backbeat.api.TempoPolicy;
import io.backbeat.api.TimelineDescriptor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The validated transition function: no command, in any order, leaves the policy or halts the beat. */
class TimelineStateMachineTest {
    private static final TempoPolicy POLICY = TempoPolicy.of(30, 300);
    private static final TimelineDescriptor GRID = TimelineDescriptor.initial("sm", 0, 120, 4,
            TimelineDescriptor.DEFAULT_PHASES);

    private static TimelineStateMachine.State initialized() {
        TimelineStateMachine.Outcome o = TimelineStateMachine.check(TimelineStateMachine.State.EMPTY,
                new TimelineCommand.Initialize(GRID, POLICY), 1);
        assertThat(o.rejected()).isFalse();
        return TimelineStateMachine.check(o.state(), new TimelineCommand.AssumeLeadership(1, "p1"), 1).state();
    }

    @Test
    void tempoChangesOutsideTheReplicatedPolicyAreRejectedWithAReason() {
        TimelineStateMachine.State s = initialized();
        for (double bpm : List.of(2000.0, 10.0, 140.0, 300.5)) { // NaN or <= 0 cannot even be decoded
            TimelineStateMachine.Outcome o = TimelineStateMachine.check(s,
                    new TimelineCommand.SetPendingTempo(new PendingTempo(bpm, 8), 0), 1);
            assertThat(o.rejected()).as("%s BPM", bpm).isTrue();
            assertThat(o.state().descriptor().pending()).isNull();
        }
        TimelineStateMachine.Outcome ok = TimelineStateMachine.check(s,
                new TimelineCommand.SetPendingTempo(new PendingTempo(126, 8), 0), 1);
        assertThat(ok.rejected()).isFalse();
        assertThat(ok.state().descriptor().pending()).isEqualTo(new PendingTempo(126, 8));
        assertThat(ok.state().policy()).isEqualTo(POLICY);
    }

    @Test
    void leadershipIsRecordedOnlyForTheTermOfItsLogEntry() {
        TimelineStateMachine.State s = initialized();
        assertThat(TimelineStateMachine.check(s, new TimelineCommand.AssumeLeadership(Long.MAX_VALUE, "evil"), 2)
                .rejected()).isTrue();
        assertThat(TimelineStateMachine.check(s, new TimelineCommand.AssumeLeadership(0, "p2"), 0).rejected())
                .as("below the recorded term").isTrue();
        assertThat(TimelineStateMachine.check(s, new TimelineCommand.AssumeLeadership(3, ""), 3).rejected()).isTrue();
        TimelineStateMachine.Outcome o = TimelineStateMachine.check(s, new TimelineCommand.AssumeLeadership(3, "p2"), 3);
        assertThat(o.rejected()).isFalse();
        assertThat(o.state().descriptor().term()).isEqualTo(3);
    }

    @Test
    void aBadFirstGridIsRefusedAndASecondInitializeIsIgnored() {
        TimelineDescriptor tooFast = TimelineDescriptor.initial("sm", 0, 900, 4, TimelineDescriptor.DEFAULT_PHASES);
        assertThat(TimelineStateMachine.check(TimelineStateMachine.State.EMPTY,
                new TimelineCommand.Initialize(tooFast, POLICY), 1).rejected()).isTrue();
        TimelineStateMachine.State s = initialized();
        TimelineStateMachine.Outcome again = TimelineStateMachine.check(s, new TimelineCommand.Initialize(
                TimelineDescriptor.initial("sm", 5, 60, 3, List.of("a")), TempoPolicy.of(1, 10_000)), 4);
        assertThat(again.rejected()).isFalse();
        assertThat(again.state()).isEqualTo(s);
    }

    @Test
    void initializeCarriesThePolicyThroughTheLogEncoding() {
        TimelineCommand c = new TimelineCommand.Initialize(GRID, POLICY);
        assertThat(TimelineCommand.decode(c.encode())).isEqualTo(c);
        TimelineCommand legacy = new TimelineCommand.Initialize(GRID);
        assertThat(TimelineCommand.decode(legacy.encode())).isEqualTo(legacy);
    }

    /** Thousands of random commands (fixed seed): the tempo never leaves the policy, the term never falls. */
    @Test
    void noSequenceOfCommandsLeavesThePolicyOrLowersTheTerm() {
        Random r = new Random(42);
        TimelineStateMachine.State s = initialized();
        long entryTerm = 1;
        for (int i = 0; i < 20_000; i++) {
            if (r.nextInt(50) == 0) {
                entryTerm++;
            }
            TimelineCommand c = switch (r.nextInt(4)) {
                case 0 -> new TimelineCommand.SetPendingTempo(new PendingTempo(r.nextDouble() * 1000 + 0.01,
                        r.nextInt(400) - 20), r.nextLong(0, 3_600_000_000_000L));
                case 1 -> new TimelineCommand.AssumeLeadership(r.nextBoolean() ? entryTerm : r.nextLong(),
                        "p" + r.nextInt(5));
                case 2 -> new TimelineCommand.Initialize(TimelineDescriptor.initial("x", 0, 1 + r.nextInt(900), 4,
                        List.of("a")), TempoPolicy.of(1, 10_000));
                default -> {
                    byte[] junk = new byte[r.nextInt(40)];
                    r.nextBytes(junk);
                    try {
                        yield TimelineCommand.decode(junk);
                    } catch (IllegalArgumentException e) {
                        yield null;
                    }
                }
            };
            if (c == null) {
                continue;
            }
            long termBefore = s.descriptor().term();
            s = TimelineStateMachine.check(s, c, entryTerm).state();
            TimelineDescriptor d = s.descriptor();
            assertThat(d.term()).isGreaterThanOrEqualTo(termBefore).isLessThanOrEqualTo(entryTerm);
            assertThat(d.tempoBpm()).isBetween(30.0, 300.0);
            if (d.pending() != null) {
                assertThat(d.pending().tempoBpm()).isBetween(30.0, 300.0);
            }
            assertThat(s.policy()).isEqualTo(POLICY);
        }
    }
}
