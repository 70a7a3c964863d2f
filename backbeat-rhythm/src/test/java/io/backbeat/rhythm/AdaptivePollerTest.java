package io.backbeat.rhythm;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdaptivePollerTest {
    static final long MS = 1_000_000L;
    static final Duration SIX_SECONDS = Duration.ofSeconds(6);

    static AdaptivePoller poller() {
        return AdaptivePoller.builder().budget(20, SIX_SECONDS).backbonePolls(14)
                .followUps(Duration.ofMillis(5), Duration.ofMillis(25)).build();
    }

    @Test
    void theBudgetIsSplitBetweenTheBackboneAndTheFollowUps() {
        AdaptivePoller p = poller();
        assertThat(p.backbone()).containsExactly(Duration.ofNanos(428_571_429));
        assertThat(p.backbonePollsPerWindow()).isEqualTo(14);
        assertThat(p.followUpBudget()).isEqualTo(6);
        assertThat(p.fixedEquivalent()).isEqualTo(Duration.ofMillis(300));
        assertThat(p.followUpDelays()).containsExactly(Duration.ofMillis(5), Duration.ofMillis(25));
        AdaptivePoller alternating = AdaptivePoller.builder().budget(20, Duration.ofMinutes(1))
                .backbone(Duration.ofSeconds(4), Duration.ofSeconds(2)).build();
        assertThat(alternating.backbonePollsPerWindow()).isEqualTo(20);
        assertThat(alternating.followUpBudget()).isZero();
        // 6 s / 333 ms: 19 instants fit in a half-open window of 6 s (0, 333, ..., 5994 ms)
        assertThat(AdaptivePoller.builder().budget(20, SIX_SECONDS).backbone(Duration.ofMillis(333)).build()
                .backbonePollsPerWindow()).isEqualTo(19);
    }

    @Test
    void followsUpAfterWorkThenFallsBackToTheBackbone() {
        AdaptivePoller p = poller();
        long bb = 428_571_429L;
        assertThat(p.polled(0, true)).isEqualTo(5 * MS);         // a follow-up 5 ms after the poll that found work
        assertThat(p.polled(5 * MS, true)).isEqualTo(10 * MS);   // found more: 5 ms after that one
        assertThat(p.polled(10 * MS, false)).isEqualTo(30 * MS); // nothing: the second delay, 25 ms after the last find
        assertThat(p.polled(30 * MS, false)).isEqualTo(bb);       // nothing again: the backbone
        assertThat(p.polled(bb, false)).isEqualTo(2 * bb);        // idle: the backbone alone
        // a follow-up less than 5 ms before a backbone poll is left to the backbone poll
        assertThat(p.polled(2 * bb, false)).isEqualTo(3 * bb);
        assertThat(p.polled(3 * bb, true)).isEqualTo(3 * bb + 5 * MS);
        assertThat(p.polled(3 * bb + 5 * MS, false)).isEqualTo(3 * bb + 25 * MS);
        assertThat(p.polled(3 * bb + 25 * MS, false)).isEqualTo(4 * bb);
        long late = 5 * bb - 3 * MS; // the caller polled late, just before the next backbone instant
        assertThat(p.polled(late, true)).isEqualTo(5 * bb);       // 5 ms later would be 2 ms after it
    }

    @Test
    void theBackboneKeepsItsRhythmWhateverTheFollowUpsDid() {
        AdaptivePoller p = poller();
        long bb = 428_571_429L;
        Random rnd = new Random(42);
        long t = 0;
        List<Long> backbone = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            if (t % bb == 0) {
                backbone.add(t);
            }
            t = p.polled(t, rnd.nextInt(3) == 0);
        }
        for (int i = 1; i < backbone.size(); i++) {
            assertThat(backbone.get(i) - backbone.get(i - 1)).isEqualTo(bb);
        }
        assertThat(backbone.size()).isGreaterThan(1000);
    }

    @Test
    void lateAndEarlyFindsNeverBreakTheBudget() {
        for (long seed = 1; seed <= 5; seed++) {
            AdaptivePoller p = poller();
            Random rnd = new Random(seed);
            List<Long> polls = new ArrayList<>();
            long t = 0;
            for (int i = 0; i < 20_000; i++) {
                polls.add(t);
                long next = p.polled(t, rnd.nextInt(4) != 0);
                assertThat(next).isGreaterThan(t);
                // the caller wakes up late: mostly a little, sometimes by more than a backbone interval
                long lateness = rnd.nextInt(10) == 0 ? (long) (rnd.nextDouble() * 900 * MS) : rnd.nextInt(3) * MS;
                t = next + lateness;
            }
            for (int i = 20; i < polls.size(); i++) {
                assertThat(polls.get(i) - polls.get(i - 20)).as("seed %d, poll %d", seed, i)
                        .isGreaterThanOrEqualTo(SIX_SECONDS.toNanos());
            }
        }
    }

    @Test
    void theBuilderSaysWhatIsWrong() {
        assertThatThrownBy(() -> AdaptivePoller.builder().backbone(Duration.ofMillis(400)).build())
                .isInstanceOf(IllegalStateException.class).hasMessage("the budget is required: budget(maxPolls, window)");
        assertThatThrownBy(() -> AdaptivePoller.builder().budget(20, SIX_SECONDS).build())
                .isInstanceOf(IllegalStateException.class).hasMessage("the backbone is required: backbone(interval...)");
        assertThatThrownBy(() -> AdaptivePoller.builder().backbonePolls(3))
                .isInstanceOf(IllegalStateException.class).hasMessage("set the budget first: budget(maxPolls, window)");
        assertThatThrownBy(() -> AdaptivePoller.builder().budget(0, SIX_SECONDS))
                .hasMessage("maxPolls must be >= 1, got 0");
        assertThatThrownBy(() -> AdaptivePoller.builder().budget(20, Duration.ZERO))
                .hasMessage("window must be > 0, got PT0S");
        assertThatThrownBy(() -> AdaptivePoller.builder().backbone())
                .hasMessage("the backbone needs at least one interval");
        assertThatThrownBy(() -> AdaptivePoller.builder().backbone(Duration.ofMillis(-1)))
                .hasMessage("backbone intervals must be > 0, got PT-0.001S");
        assertThatThrownBy(() -> AdaptivePoller.builder().budget(20, SIX_SECONDS).backbonePolls(21))
                .hasMessage("backbone polls per window must be in 1..20 (the budget), got 21");
        assertThatThrownBy(() -> AdaptivePoller.builder().followUps(Duration.ZERO))
                .hasMessage("follow-up delays must be > 0, got PT0S");
        assertThatThrownBy(() -> AdaptivePoller.builder().followUps(Duration.ofMillis(20), Duration.ofMillis(5)))
                .hasMessage("follow-up delays must increase, got PT0.005S after PT0.02S");
        assertThatThrownBy(() -> AdaptivePoller.builder().budget(20, SIX_SECONDS).backbone(Duration.ofMillis(250)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the backbone [PT0.25S] polls more than 20 times in a window of PT6S: it exceeds the budget "
                        + "(use longer intervals)");
        assertThatThrownBy(() -> AdaptivePoller.builder().budget(20, SIX_SECONDS).backbone(Duration.ofMillis(300))
                .followUps(Duration.ofMillis(5)).build())
                .hasMessage("the backbone [PT0.3S] polls 20 times in a window of PT6S, the whole budget of 20: nothing "
                        + "is left for follow-ups (use longer intervals)");
        assertThatThrownBy(() -> AdaptivePoller.builder().budget(20, SIX_SECONDS).backbone(Duration.ofMillis(400))
                .followUps(Duration.ofMillis(400)).build())
                .hasMessage("follow-up delay PT0.4S is not shorter than the longest backbone interval PT0.4S: the "
                        + "backbone poll would come first");
        // a fixed poller is a backbone without follow-ups, and may use the whole budget
        assertThat(AdaptivePoller.builder().budget(20, SIX_SECONDS).backbone(Duration.ofMillis(300)).build()
                .polled(0, true)).isEqualTo(300 * MS);
    }
}
