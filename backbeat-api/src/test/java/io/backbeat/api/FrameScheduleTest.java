package io.backbeat.api;

import io.backbeat.api.FrameSchedule.Emission;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one rule of what a publisher emits next, on injected instants. */
class FrameScheduleTest {
    private static final List<String> P3 = List.of("plan", "execute", "review");
    private static final long ANCHOR = 1_900_000_000_000_000_000L;
    private static final long BEAT_120 = 500_000_000L;

    private static TimelineDescriptor descriptor(long anchor, long beat, double bpm, int bar, List<String> phases,
                                                 PendingTempo pending) {
        return new TimelineDescriptor("c", anchor, beat, bpm, bar, phases, 1, "p1", pending);
    }

    private static Timeline grid120() {
        return Timeline.of(descriptor(ANCHOR, 0, 120, 4, P3, null));
    }

    private static BeatPhase pair(long beat, int phase) {
        return new BeatPhase(beat, phase);
    }

    @Test
    void aFreshRunStartsAtTheFirstPhaseStrictlyAfterNow() {
        Timeline t = grid120();
        long midPhase = t.phaseStartNanos(10, 1) + 1_000;
        Emission e = FrameSchedule.next(t, null, null, midPhase);
        assertThat(e.pair()).isEqualTo(pair(10, 2));
        assertThat(e.instantNanos()).isEqualTo(t.phaseStartNanos(10, 2));
        assertThat(e.skippedPhases()).isZero();

        Emission onABoundary = FrameSchedule.next(t, null, null, t.phaseStartNanos(10, 2));
        assertThat(onABoundary.pair()).as("a phase starting exactly now is not a fresh run's first")
                .isEqualTo(pair(11, 0));
    }

    @Test
    void theAnchorAsAFloorKeepsAFreshRunFromStartingBeforeIt() {
        Timeline t = Timeline.of(descriptor(ANCHOR, 7, 120, 4, P3, null));
        long before = ANCHOR - 3 * BEAT_120 - 5;
        assertThat(FrameSchedule.beforeAnchor(t)).isEqualTo(pair(6, 2));
        Emission e = FrameSchedule.next(t, null, FrameSchedule.beforeAnchor(t), before);
        assertThat(e.pair()).isEqualTo(pair(7, 0));
        assertThat(e.instantNanos()).isEqualTo(ANCHOR);
        assertThat(e.position().downbeat()).isFalse();
        assertThat(e.skippedPhases()).isZero();
        // without it, the grid extends before its anchor
        assertThat(FrameSchedule.next(t, null, null, before).pair()).isEqualTo(pair(4, 0));
        // from the anchor on it changes nothing
        assertThat(FrameSchedule.next(t, null, FrameSchedule.beforeAnchor(t), ANCHOR).pair()).isEqualTo(pair(7, 1));
    }

    @Test
    void onTimeEachPairFollowsTheLastAtItsInstant() {
        Timeline t = grid120();
        BeatPhase last = pair(3, 2);
        long now = t.phaseStartNanos(4, 0) - 1_000_000; // woken 1 ms ahead, as the pulse encodes ahead
        for (int i = 0; i < 30; i++) {
            Emission e = FrameSchedule.next(t, last, null, now);
            assertThat(e.pair()).isEqualTo(last.following(3));
            assertThat(e.instantNanos()).isEqualTo(t.phaseStartNanos(e.pair().beatIndex(), e.pair().phaseIndex()));
            assertThat(e.skippedPhases()).isZero();
            assertThat(e.endedAt(now)).isFalse();
            last = e.pair();
            now = e.instantNanos();
        }
        assertThat(last).isEqualTo(pair(13, 2));
    }

    @Test
    void aPhaseBegunButNotEndedIsNextWithoutASkip() {
        Timeline t = grid120();
        long late = t.phaseStartNanos(5, 1) + 20_000_000;
        Emission e = FrameSchedule.next(t, pair(5, 0), null, late);
        assertThat(e.pair()).isEqualTo(pair(5, 1));
        assertThat(e.skippedPhases()).isZero();
        assertThat(e.instantNanos()).isLessThan(late);
        assertThat(e.endedAt(late)).isFalse();
        assertThat(e.endedAt(e.position().deadlineNanos())).isTrue();
    }

    @Test
    void aTempoChangeAppliesExactlyAtItsDownbeat() {
        // 120 BPM, 4 beats a bar, 132 BPM from beat 8 on
        Timeline t = Timeline.of(descriptor(ANCHOR, 0, 120, 4, P3, new PendingTempo(132, 8)));
        long newBeat = Tempo.beatNanos(132);
        BeatPhase last = pair(7, 1);
        long now = t.phaseStartNanos(7, 1);
        Emission e = FrameSchedule.next(t, last, null, now);
        assertThat(e.pair()).isEqualTo(pair(7, 2));
        assertThat(e.position().tempoBpm()).isEqualTo(120);
        assertThat(e.position().deadlineNanos()).isEqualTo(ANCHOR + 8 * BEAT_120);

        Emission downbeat = FrameSchedule.next(t, e.pair(), null, e.instantNanos());
        assertThat(downbeat.pair()).isEqualTo(pair(8, 0));
        assertThat(downbeat.instantNanos()).isEqualTo(ANCHOR + 8 * BEAT_120);
        assertThat(downbeat.position().downbeat()).isTrue();
        assertThat(downbeat.position().tempoBpm()).isEqualTo(132);
        assertThat(downbeat.position().phaseNanos()).isEqualTo(newBeat / 3);

        Emission after = FrameSchedule.next(t, downbeat.pair(), null, downbeat.instantNanos());
        assertThat(after.instantNanos()).isEqualTo(ANCHOR + 8 * BEAT_120 + newBeat / 3);
        // the settled descriptor (the change in force, anchored at its downbeat) is the same grid
        Timeline settled = Timeline.of(t.descriptor().settle(after.instantNanos()));
        assertThat(settled.descriptor().anchorBeatIndex()).isEqualTo(8);
        assertThat(FrameSchedule.next(settled, downbeat.pair(), null, downbeat.instantNanos())).isEqualTo(after);
    }

    @Test
    void afterAStallTheEndedPhasesAreSkippedAndCountedAndThePhaseInProgressIsNext() {
        Timeline t = grid120();
        long woke = t.phaseStartNanos(13, 1) + 10_000_000;
        Emission e = FrameSchedule.next(t, pair(10, 0), null, woke);
        assertThat(e.pair()).isEqualTo(pair(13, 1));
        // (10,1) (10,2) (11,0..2) (12,0..2) (13,0)
        assertThat(e.skippedPhases()).isEqualTo(9);
        assertThat(e.instantNanos()).isLessThan(woke);
        assertThat(e.endedAt(woke)).isFalse();
    }

    @Test
    void aPhaseEndingExactlyNowHasEnded() {
        Timeline t = grid120();
        long deadline = t.deadlineNanos(4, 0);
        Emission e = FrameSchedule.next(t, pair(3, 2), null, deadline);
        assertThat(e.pair()).isEqualTo(pair(4, 1));
        assertThat(e.skippedPhases()).isEqualTo(1);
        assertThat(e.instantNanos()).isEqualTo(deadline);
    }

    @Test
    void aClockSteppingBackNeverRepeatsAPair() {
        Timeline t = grid120();
        BeatPhase last = pair(20, 1);
        long steppedBack = t.phaseStartNanos(15, 0) + 3;
        Emission e = FrameSchedule.next(t, last, null, steppedBack);
        assertThat(e.pair()).isEqualTo(pair(20, 2));
        assertThat(e.instantNanos()).isEqualTo(t.phaseStartNanos(20, 2)).isGreaterThan(steppedBack);
        assertThat(e.skippedPhases()).isZero();
    }

    @Test
    void aFloorFromAnEarlierTermIsNeverEmittedAgain() {
        Timeline t = grid120();
        long now = t.phaseStartNanos(30, 0) + 7;
        // the old leader's clock ran 2 s ahead: it published up to (34, 0)
        Emission ahead = FrameSchedule.next(t, null, pair(34, 0), now);
        assertThat(ahead.pair()).isEqualTo(pair(34, 1));
        assertThat(ahead.skippedPhases()).as("phases published by someone else are not skipped").isZero();
        // a floor exactly at the next boundary: the one after it
        assertThat(FrameSchedule.next(t, null, pair(30, 1), now).pair()).isEqualTo(pair(30, 2));
        // a floor behind: the next boundary
        assertThat(FrameSchedule.next(t, null, pair(12, 2), now).pair()).isEqualTo(pair(30, 1));
        // floor and last together: strictly after both
        assertThat(FrameSchedule.next(t, pair(29, 2), pair(31, 0), now).pair()).isEqualTo(pair(31, 1));
        assertThat(FrameSchedule.next(t, pair(31, 0), pair(29, 2), now).pair()).isEqualTo(pair(31, 1));
    }

    @Test
    void aFloorWhoseNextPhaseEndedSkipsOnlyFromThere() {
        Timeline t = grid120();
        long now = t.phaseStartNanos(30, 0) + 7;
        Emission e = FrameSchedule.next(t, pair(20, 0), pair(28, 2), now);
        assertThat(e.pair()).isEqualTo(pair(30, 0));
        assertThat(e.skippedPhases()).as("(29, 0..2) ended unpublished; up to (28, 2) went out elsewhere").isEqualTo(3);
    }

    @Test
    void aNewGridNeverMakesAPairComeTwiceOrOutOfOrder() {
        long now = ANCHOR + 1000 * BEAT_120 + 3;
        // a new descriptor whose beats restart at 0 now: the run waits for its grid to pass the last pair
        Timeline restarted = Timeline.of(descriptor(now, 0, 120, 4, P3, null));
        Emission e = FrameSchedule.next(restarted, pair(1000, 1), null, now);
        assertThat(e.pair()).isEqualTo(pair(1000, 2));
        assertThat(e.instantNanos()).isEqualTo(restarted.phaseStartNanos(1000, 2)).isGreaterThan(now);

        // fewer phases than the last pair's grid had: the next beat
        Timeline twoPhases = Timeline.of(descriptor(ANCHOR, 0, 120, 4, List.of("a", "b"), null));
        assertThat(FrameSchedule.next(twoPhases, pair(1000, 2), null, now).pair()).isEqualTo(pair(1001, 0));
        assertThat(FrameSchedule.next(twoPhases, null, pair(1000, 2), now).pair()).isEqualTo(pair(1001, 0));

        // a grid moved ahead (an anchor 10 beats earlier): the ended phases are skipped, none repeated
        Timeline earlier = Timeline.of(descriptor(ANCHOR - 10 * BEAT_120, 0, 120, 4, P3, null));
        Emission moved = FrameSchedule.next(earlier, pair(1000, 0), null, now);
        assertThat(moved.pair()).isEqualTo(pair(1010, 0));
        assertThat(moved.skippedPhases()).isEqualTo(29);
    }

    @Test
    void theEndOfTheRangeOfALongIsAnOverflowNotAWrap() {
        Timeline t = grid120();
        assertThatThrownBy(() -> FrameSchedule.next(t, pair(Long.MAX_VALUE, 2), null, ANCHOR))
                .isInstanceOf(TimelineOverflowException.class);
        assertThatThrownBy(() -> FrameSchedule.next(t, null, null, Long.MAX_VALUE - 1))
                .isInstanceOf(TimelineOverflowException.class);
    }

    @Test
    void pairsAreOrderedByBeatThenPhaseAndStepOverAGridChange() {
        assertThat(pair(3, 2).isAfter(pair(3, 1))).isTrue();
        assertThat(pair(4, 0).isAfter(pair(3, 2))).isTrue();
        assertThat(pair(-1, 2).isAfter(pair(0, 0))).isFalse();
        assertThat(pair(3, 1).isAfter(pair(3, 1))).isFalse();
        assertThat(pair(3, 2).following(3)).isEqualTo(pair(4, 0));
        assertThat(pair(3, 0).following(3)).isEqualTo(pair(3, 1));
        assertThat(pair(3, 5).following(3)).isEqualTo(pair(4, 0));
        assertThat(pair(4, 0).preceding(3)).isEqualTo(pair(3, 2));
        assertThat(pair(4, 2).preceding(3)).isEqualTo(pair(4, 1));
        assertThat(pair(4, 5).preceding(3)).isEqualTo(pair(4, 2));
        assertThat(pair(0, 0).preceding(1)).isEqualTo(pair(-1, 0));
        assertThatThrownBy(() -> pair(Long.MIN_VALUE, 0).preceding(3)).isInstanceOf(TimelineOverflowException.class);
        assertThatThrownBy(() -> new BeatPhase(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pair(1, 0).following(0)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A publisher on random grids, with random tempo changes, late wake-ups, stalls and clock steps
     * back: every emission is strictly after the last and at its grid instant, none has ended when it
     * is chosen, and the pairs passed over are exactly the ones counted as skipped.
     */
    @Test
    void randomTemposStallsAndClockStepsNeverRepeatRewindOrLoseCount() {
        Random rnd = new Random(20261202);
        long totalSkipped = 0;
        long totalSteps = 0;
        for (int run = 0; run < 300; run++) {
            int phases = 1 + rnd.nextInt(5);
            List<String> names = List.of("a", "b", "c", "d", "e").subList(0, phases);
            int bar = 1 + rnd.nextInt(8);
            double bpm = 20 + rnd.nextDouble() * 580;
            long anchor = ANCHOR + rnd.nextInt(1_000_000_000);
            TimelineDescriptor d = descriptor(anchor, rnd.nextInt(1000), bpm, bar, names, null);
            long now = anchor - rnd.nextInt(2_000_000_000);
            BeatPhase last = null;
            long lastInstant = Long.MIN_VALUE;
            for (int step = 0; step < 400; step++) {
                Timeline t = Timeline.of(d);
                double dice = rnd.nextDouble();
                if (dice < 0.05) {
                    now -= (long) (rnd.nextDouble() * 3 * t.beatNanos(t.beatIndexAt(now))); // the clock steps back
                } else if (dice < 0.15) {
                    now += (long) (rnd.nextDouble() * 5 * t.beatNanos(t.beatIndexAt(now))); // late, or stalled
                }
                Emission e = FrameSchedule.next(t, last, last == null ? FrameSchedule.beforeAnchor(t) : null, now);
                GridPosition p = e.position();
                assertThat(p).isEqualTo(t.position(p.beatIndex(), p.phaseIndex()));
                assertThat(e.endedAt(now)).isFalse();
                assertThat(p.phaseStartNanos()).isGreaterThanOrEqualTo(anchor);
                if (last == null) {
                    assertThat(e.instantNanos()).isGreaterThan(now);
                    assertThat(e.skippedPhases()).isZero();
                } else {
                    assertThat(e.pair().isAfter(last)).as("strictly after %s: %s", last, e).isTrue();
                    assertThat(e.instantNanos()).isGreaterThan(lastInstant);
                    long passed = ordinal(e.pair(), phases) - ordinal(last, phases) - 1;
                    assertThat(e.skippedPhases()).as("the pairs passed over are the ones skipped").isEqualTo(passed);
                    if (e.skippedPhases() > 0) {
                        assertThat(t.deadlineNanos(e.pair().preceding(phases).beatIndex(),
                                e.pair().preceding(phases).phaseIndex())).isLessThanOrEqualTo(now);
                        assertThat(e.instantNanos()).isLessThanOrEqualTo(now);
                    }
                }
                BeatFrame f = BeatFrame.at(t, p, "000000000000:0000:0000", "p1", 1);
                assertThat(f.beatIndex()).isEqualTo(p.beatIndex());
                assertThat(f.deadlineEpochNanos()).isEqualTo(p.deadlineNanos());
                totalSkipped += e.skippedPhases();
                totalSteps++;
                last = e.pair();
                lastInstant = e.instantNanos();
                now = Math.max(now, e.instantNanos()); // the publisher waits for the instant
                if (rnd.nextDouble() < 0.05) { // a tempo change (within 10%) at the next downbeat
                    TimelineDescriptor settled = d.settle(now);
                    double next = settled.tempoBpm() * (0.9 + rnd.nextDouble() * 0.2);
                    d = settled.withPending(new PendingTempo(next, Timeline.of(settled).nextDownbeatAfter(now)));
                }
            }
        }
        assertThat(totalSteps).isEqualTo(300 * 400);
        assertThat(totalSkipped).as("the walk did stall").isPositive();
    }

    private static long ordinal(BeatPhase p, int phases) {
        return p.beatIndex() * phases + p.phaseIndex();
    }
}
