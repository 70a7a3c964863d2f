package io.backbeat.rhythm;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Virtual-time reproduction of the seed's tables, then a comparison at the same poll budget. */
class HeartbeatSimulationTest {
    static final long S = 1_000_000_000L;

    /** A poller as "given the time of a poll and whether it found work, when is the next one". */
    interface Poller {
        long next(long now, boolean found);
    }

    static Poller fixed(long interval) {
        return (now, found) -> now + interval;
    }

    /**
     * Job 1 is inserted at {@code insertAt}; a poll picks up every job present; job 1's execution
     * inserts job 2 {@code 10 ms} later. Returns {pickup of job 1, pickup of job 2}.
     */
    static long[] chain(Poller poller, long firstPoll, long insertAt) {
        long job1 = insertAt;
        long job2 = Long.MAX_VALUE;
        long picked1 = -1;
        long t = firstPoll;
        for (int i = 0; i < 1000; i++) {
            boolean found = false;
            if (picked1 < 0 && job1 <= t) {
                picked1 = t;
                job2 = t + 10_000_000L;
                found = true;
            } else if (picked1 >= 0 && job2 <= t) {
                return new long[]{picked1, t};
            }
            t = poller.next(t, found);
        }
        throw new AssertionError("never picked up");
    }

    @Test
    void reproducesTheSeedTables() {
        Poller regular = fixed(3 * S);
        AdaptivePoller alt = alternating();
        // polls: regular at 0, 3, 6, 9 ...; alternating at 0, 4, 6, 10, 12 ...
        assertThat(chain(regular, 0, S)).containsExactly(3 * S, 6 * S);
        assertThat(chain(seedAlternating(), 0, S)).containsExactly(4 * S, 6 * S);
        // lucky: inserted just before a poll
        assertThat(chain(regular, 0, 3 * S)).containsExactly(3 * S, 6 * S);
        assertThat(chain(seedAlternating(), 0, 4 * S)).containsExactly(4 * S, 6 * S);
        // unlucky: inserted just after the poll that followed the long sleep
        assertThat(chain(seedAlternating(), 0, 4 * S + S / 10)).containsExactly(6 * S, 10 * S);
        // 4 s / 2 s is the whole budget of a 3 s fixed poller: 20 a minute
        assertThat(alt.backbonePollsPerWindow()).isEqualTo(20);
        assertThat(alt.followUpBudget()).isZero();
    }

    private static AdaptivePoller alternating() {
        return AdaptivePoller.builder().budget(20, Duration.ofMinutes(1))
                .backbone(Duration.ofSeconds(4), Duration.ofSeconds(2)).build();
    }

    private static Poller seedAlternating() {
        return alternating()::polled;
    }

    /** A 4 s backbone (15 polls a minute) and follow-ups 0.5 s after work, within 20 a minute. */
    private static AdaptivePoller workDriven() {
        return AdaptivePoller.builder().budget(20, Duration.ofMinutes(1))
                .backbone(Duration.ofSeconds(4)).followUps(Duration.ofMillis(500)).build();
    }

    @Test
    void atTheSameBudgetTheWorkDrivenHeartbeatPicksUpChainsSooner() {
        Random rnd = new Random(2007);
        int trials = 2000;
        List<Long> regular = new ArrayList<>();
        List<Long> alternating = new ArrayList<>();
        List<Long> adaptive = new ArrayList<>();
        for (int i = 0; i < trials; i++) {
            long insert = (long) (rnd.nextDouble() * 60 * S) + 30 * S;
            long phase = (long) (rnd.nextDouble() * 3 * S);
            regular.add(chain(fixed(3 * S), phase, insert)[1] - insert);
            alternating.add(chain(seedAlternating(), phase, insert)[1] - insert);
            AdaptivePoller a = workDriven();
            adaptive.add(chain(a::polled, phase, insert)[1] - insert);
        }
        System.out.println("| poller (20 polls/min budget) | mean job-1-inserted to job-2-picked (s) | p95 (s) |");
        System.out.println("|---|---:|---:|");
        print("fixed 3 s", regular);
        print("alternating 4 s / 2 s (seed)", alternating);
        print("work-driven (4 s backbone, a follow-up 0.5 s after work, 20 per minute)", adaptive);
        assertThat(mean(adaptive)).isLessThan(mean(regular));
        assertThat(p95(adaptive)).isLessThan(p95(regular));
    }

    @Test
    void neverExceedsItsBudget() {
        AdaptivePoller p = AdaptivePoller.builder().budget(20, Duration.ofMinutes(1))
                .backbone(Duration.ofSeconds(4)).followUps(Duration.ofMillis(100)).build();
        long t = 0;
        List<Long> polls = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            polls.add(t);
            t = p.polled(t, true); // work every time: it wants a follow-up every 100 ms
        }
        for (int i = 20; i < polls.size(); i++) {
            assertThat(polls.get(i) - polls.get(i - 20)).isGreaterThanOrEqualTo(60 * S);
        }
    }

    private static void print(String name, List<Long> v) {
        System.out.printf("| %s | %.3f | %.3f |%n", name, mean(v) / 1e9, p95(v) / 1e9);
    }

    private static double mean(List<Long> v) {
        return v.stream().mapToLong(Long::longValue).average().orElseThrow();
    }

    private static long p95(List<Long> v) {
        List<Long> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get((int) Math.ceil(s.size() * 0.95) - 1);
    }

}
