package io.backbeat.rhythm;

import io.backbeat.api.PendingTempo;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue #14: a tempo change moves the timeline descriptor's anchor (it is folded into the anchor at
 * its downbeat), so slots counted from the anchor differed between clones that joined before and
 * after a change. Slots must be the same instants for every clone, whatever descriptor it holds.
 */
@SuppressWarnings("deprecation") // the constructor that takes a grid is the one that had the defect
class SlotTempoChangeTest {
    private static final long S = 1_000_000_000L;
    private static final Duration SEP = Duration.ofMillis(200);

    /** The grid before a change (110 BPM, a change to 97 BPM pending at beat 16) and after it (and another). */
    private static List<Timeline> gridsAcrossTempoChanges() {
        long anchor = 1_757_000_000L * S;
        TimelineDescriptor before = new TimelineDescriptor("c", anchor, 0, 110, 4, TimelineDescriptor.DEFAULT_PHASES,
                1, "", new PendingTempo(97, 16));
        long changeAt = Timeline.of(before).beatStartNanos(16);
        TimelineDescriptor after = before.settle(changeAt); // what a clone that joins after the change gets
        assertThat(after.anchorTimeNanos()).isNotEqualTo(anchor);
        assertThat(after.anchorBeatIndex()).isEqualTo(16);
        long secondAt = Timeline.of(after).beatStartNanos(32);
        TimelineDescriptor afterTwo = after.withPending(new PendingTempo(133, 32)).settle(secondAt);
        return List.of(Timeline.of(before), Timeline.of(after), Timeline.of(afterTwo));
    }

    @Test
    void clonesThatJoinedBeforeAndAfterATempoChangeAgreeOnEverySlot() {
        List<Timeline> grids = gridsAcrossTempoChanges();
        long from = grids.get(2).descriptor().anchorTimeNanos(); // after both changes
        // clone 0 joined before the change, clone 1 after the first, clone 2 after the second
        List<Long> polls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            SlotScheduler s = new SlotScheduler(SEP, 3, i, Duration.ZERO, grids.get(i));
            long t = from;
            for (int k = 0; k < 200; k++) {
                long p = s.nextPollAt(t);
                polls.add(p);
                t = p + 1;
            }
        }
        Collections.sort(polls);
        long first = polls.get(0);
        for (int k = 1; k < 400; k++) { // where all three clones have polled
            assertThat(polls.get(k) - polls.get(k - 1)).as("gap %d at the resource", k).isEqualTo(SEP.toNanos());
        }
        assertThat(first - from).isBetween(0L, SEP.toNanos());
    }

    @Test
    void theSameSlotIsTheSameInstantWhateverDescriptorAClonesHolds() {
        List<Timeline> grids = gridsAcrossTempoChanges();
        long from = grids.get(0).descriptor().anchorTimeNanos() - 5 * S;
        for (int index = 0; index < 4; index++) {
            SlotScheduler none = new SlotScheduler(SEP, 4, index, Duration.ofMillis(30), null);
            List<SlotScheduler> withGrid = new ArrayList<>();
            for (Timeline g : grids) {
                withGrid.add(new SlotScheduler(SEP, 4, index, Duration.ofMillis(30), g));
            }
            for (long t = from; t < from + 60 * S; t += 37_000_001L) {
                long expected = none.nextPollAt(t);
                for (SlotScheduler s : withGrid) {
                    assertThat(s.nextPollAt(t)).isEqualTo(expected);
                }
                // counted from the Unix epoch: slot instants are offset + index * separation + k * period
                assertThat(Math.floorMod(expected - 30_000_000L - index * SEP.toNanos(), 4 * SEP.toNanos())).isZero();
                assertThat(expected - t).isBetween(0L, 4 * SEP.toNanos() - 1);
            }
        }
    }

    @Test
    void theBuilderTakesDurationsAndInstants() {
        SlotScheduler s = SlotScheduler.builder(Duration.ofMillis(250)).clones(4).index(2)
                .groupOffset(Duration.ofMillis(40)).build();
        assertThat(s.period()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.separation()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.groupOffset()).isEqualTo(Duration.ofMillis(40));
        // clone 2's slots: 0.540 s past every whole second
        Instant now = Instant.parse("2026-11-22T10:00:00.600Z");
        assertThat(s.nextPollAt(now)).isEqualTo(Instant.parse("2026-11-22T10:00:01.540Z"));
        assertThat(s.untilNextPoll(now)).isEqualTo(Duration.ofMillis(940));
        assertThat(s.untilNextPoll(Instant.parse("2026-11-22T10:00:01.540Z"))).isEqualTo(Duration.ZERO);
        assertThat(s.nextPollAt(Instant.parse("1969-12-31T23:59:59.600Z"))).isEqualTo(Instant.parse("1970-01-01T00:00:00.540Z"));
        // the same instants as the epoch-nanosecond form, and as after a reslot to the same membership
        long t = now.getEpochSecond() * S + now.getNano();
        assertThat(s.nextPollAt(t)).isEqualTo(t + 940_000_000L);
        assertThat(s.reslot(4, 2).nextPollAt(t)).isEqualTo(s.nextPollAt(t));
        // an index from the instance id, as HashSlot picks it
        SlotScheduler h = SlotScheduler.builder(Duration.ofMillis(250)).clones(7).hashedIndex("clone-a").build();
        assertThat(h.index()).isEqualTo(HashSlot.of("clone-a", 7));
        assertThatThrownBy(() -> SlotScheduler.builder(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SlotScheduler.builder(SEP).clones(2).index(2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 2");
        assertThatThrownBy(() -> SlotScheduler.builder(SEP).clones(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
