package io.backbeat.rhythm;

import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Virtual-time simulation of N clones polling one resource: slotted vs a naive fixed sleep of the
 * same budget (each clone sleeps N x separation after its work).
 */
class SlotSimulationTest {
    static final long SEP = 250_000_000L; // 250 ms between polls at the resource, as in the seed
    static final long DURATION = 10 * 60 * 1_000_000_000L; // 10 virtual minutes

    record Result(double minGapShare, double p5GapShare, double pollsPerSecond) {
    }

    static Result simulate(int n, boolean slotted, long seed, boolean overruns) {
        Random rnd = new Random(seed);
        List<Long> polls = new ArrayList<>();
        long period = n * SEP;
        for (int i = 0; i < n; i++) {
            SlotScheduler s = SlotScheduler.builder(Duration.ofNanos(SEP)).clones(n).index(i).build();
            long skew = (long) ((rnd.nextDouble() - 0.5) * 0.02 * SEP); // clocks disagree by up to ±1% of a slot
            long t = (long) (rnd.nextDouble() * period); // clones start at random times
            while (t < DURATION) {
                long poll = slotted ? s.nextPollAt(t + skew) - skew : t;
                if (poll >= DURATION) {
                    break;
                }
                polls.add(poll);
                long work = overruns
                        ? (long) (rnd.nextDouble() * rnd.nextDouble() * 2 * period) // mostly short, sometimes > period
                        : (long) (rnd.nextDouble() * 0.95 * (period - 0.02 * SEP)); // random, always within the period
                t = poll + work + (slotted ? 0 : period); // naive: fixed sleep of the same budget after work
            }
        }
        Collections.sort(polls);
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < polls.size(); i++) {
            gaps.add(polls.get(i) - polls.get(i - 1));
        }
        Collections.sort(gaps);
        // the rate once every clone has started (they join at random times during the first period)
        long steady = polls.stream().filter(p -> p >= period).count();
        return new Result(gaps.get(0) / (double) SEP, gaps.get(gaps.size() / 20) / (double) SEP,
                steady / ((DURATION - period) / 1e9));
    }

    @Test
    void slottedClonesKeepTheirSeparationAndBudgetWhereANaiveLoopDoesNot() {
        System.out.println("| clones | slotted min gap | slotted p5 gap | slotted polls/s | naive min gap | naive p5 gap | naive polls/s | budget polls/s |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int n : new int[]{2, 10, 50}) {
            Result slotted = simulate(n, true, 42 + n, false);
            Result naive = simulate(n, false, 42 + n, false);
            System.out.printf("| %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f |%n", n, slotted.minGapShare(),
                    slotted.p5GapShare(), slotted.pollsPerSecond(), naive.minGapShare(), naive.p5GapShare(),
                    naive.pollsPerSecond(), 1e9 / SEP);
            assertThat(slotted.minGapShare()).as("min gap, %d clones", n).isGreaterThanOrEqualTo(0.8);
            assertThat(slotted.pollsPerSecond()).as("rate, %d clones", n).isCloseTo(1e9 / SEP,
                    org.assertj.core.data.Offset.offset(0.01));
            assertThat(naive.minGapShare()).isLessThan(0.8); // the problem the seed describes
        }
        System.out.println("with work that sometimes overruns the period (mean half a period):");
        for (int n : new int[]{2, 10, 50}) {
            Result slotted = simulate(n, true, 7 + n, true);
            Result naive = simulate(n, false, 7 + n, true);
            System.out.printf("| %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f |%n", n, slotted.minGapShare(),
                    slotted.p5GapShare(), slotted.pollsPerSecond(), naive.minGapShare(), naive.p5GapShare(),
                    naive.pollsPerSecond(), 1e9 / SEP);
            assertThat(slotted.minGapShare()).isGreaterThanOrEqualTo(0.8);
            assertThat(slotted.pollsPerSecond()).isLessThanOrEqualTo(1e9 / SEP * 1.001);
        }
    }

    @Test
    void withoutOverrunsThePollRateEqualsTheBudget() {
        int n = 10;
        long period = n * SEP;
        int polls = 0;
        for (int i = 0; i < n; i++) {
            SlotScheduler s = SlotScheduler.builder(Duration.ofNanos(SEP)).clones(n).index(i).build();
            long t = 0;
            while (true) {
                long p = s.nextPollAt(t);
                if (p >= DURATION) {
                    break;
                }
                polls++;
                t = p + period / 3; // work always shorter than the period
            }
        }
        assertThat(polls / (DURATION / 1e9)).isEqualTo(1e9 / SEP);
    }

    @Test
    void slotsCountFromTheEpochAndReslot() {
        // slots are counted from the Unix epoch (issue #14: not from the grid's anchor, which a tempo
        // change moves); a downbeat on a whole second is then a slot of a 1 s period
        long anchor = 1_757_000_000_000_000_000L;
        Timeline grid = Timeline.of(new TimelineDescriptor("c", anchor, 3, 60, 4, TimelineDescriptor.DEFAULT_PHASES,
                1, "", null));
        SlotScheduler s0 = SlotScheduler.builder(Duration.ofMillis(250)).clones(4).index(0).build();
        long downbeat0 = grid.beatStartNanos(0);
        assertThat(s0.nextPollAt(downbeat0)).isEqualTo(downbeat0);
        assertThat(s0.nextPollAt(downbeat0 + 1)).isEqualTo(downbeat0 + 1_000_000_000L);
        SlotScheduler s2 = s0.reslot(4, 2);
        assertThat(s2.nextPollAt(downbeat0)).isEqualTo(downbeat0 + 500_000_000L);
        assertThat(HashSlot.of("clone-a", 7)).isEqualTo(HashSlot.of("clone-a", 7)).isBetween(0, 6);
    }
}
