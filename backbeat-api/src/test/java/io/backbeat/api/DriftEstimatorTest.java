package io.backbeat.api;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class DriftEstimatorTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final long T0 = 1_700_000_000L * S;

    /**
     * Frames at {@code bpm} with three phases for {@code seconds}; the local clock runs at {@code 1 + rate};
     * delivery 1 ms plus 0-{@code jitterMs} ms of exponential-ish jitter. Lag is measured on the local clock.
     */
    private static DriftEstimator feed(double bpm, double rate, double jitterMs, int seconds, long seed) {
        DriftEstimator e = DriftEstimator.defaults();
        Random rnd = new Random(seed);
        double phaseNanos = 60e9 / bpm / 3;
        for (double t = 0; t < seconds * 1e9; t += phaseNanos) {
            double delay = MS + (-Math.log(1 - rnd.nextDouble()) * jitterMs * MS / 3);
            double trueArrival = t + delay;
            double localArrival = trueArrival * (1 + rate);        // the local clock gains rate per second
            long lag = (long) (localArrival - t);                    // against the grid instant the leader kept
            e.add(T0 + (long) localArrival, lag);
        }
        return e;
    }

    @Test
    void aClockOnePercentFastReadsOnePercentWithinSixtySecondsAtAnyTempo() {
        for (double bpm : new double[] {1, 10, 65, 120, 600, 1000}) {
            DriftEstimator e = feed(bpm, 0.01, 5, 60, 1);
            assertThat(e.rate()).as("%s BPM", bpm).isPresent();
            assertThat(e.rate().getAsDouble() * 100).as("%s BPM, percent", bpm).isCloseTo(1.0, offset(0.2));
        }
        assertThat(feed(120, -0.01, 5, 60, 2).rate().getAsDouble() * 100).as("slow reads negative")
                .isCloseTo(-1.0, offset(0.2));
    }

    @Test
    void aHealthyClockReadsUnderOneHundredthOfAPercentAtAnyTempo() {
        for (double bpm : new double[] {1, 10, 65, 120, 600, 1000}) {
            for (long seed = 1; seed <= 5; seed++) {
                DriftEstimator e = feed(bpm, 0, 5, 120, seed);
                if (bpm >= 10) {
                    assertThat(e.rate()).as("%s BPM", bpm).isPresent();
                }
                if (e.rate().isPresent()) {
                    assertThat(Math.abs(e.rate().getAsDouble()) * 100).as("%s BPM seed %d, percent", bpm, seed)
                            .isLessThan(0.01);
                }
            }
        }
    }

    @Test
    void noSlopeBeforeTheMinimumSpanAndResetForgets() {
        DriftEstimator e = feed(120, 0.01, 1, 5, 3);
        assertThat(e.rate()).as("5 s of frames, 10 s needed").isEmpty();
        DriftEstimator full = feed(120, 0.01, 1, 30, 3);
        assertThat(full.rate()).isPresent();
        assertThat(full.buckets()).isBetween(29, 31);
        full.reset();
        assertThat(full.rate()).isEmpty();
        assertThat(full.buckets()).isZero();
    }

    @Test
    void theWindowSlidesSoAnOldRateIsForgotten() {
        DriftEstimator e = DriftEstimator.defaults();
        long t = 0;
        long lag = MS;
        for (int i = 0; i < 300; i++) { // 50 s at 1 % fast, then 100 s at the true rate
            e.add(T0 + t, lag);
            t += S / 2;
            lag += i < 100 ? 5 * MS : 0;
        }
        assertThat(e.rate().getAsDouble()).isCloseTo(0, offset(1e-6));
    }

    @Test
    void stragglersAndASteppedBackClockAreHandled() {
        DriftEstimator e = DriftEstimator.defaults();
        e.add(T0 + 10 * S, MS);
        e.add(T0 + 5 * S, 0); // older than the newest bucket: ignored
        assertThat(e.buckets()).isEqualTo(1);
        e.add(T0 - 100 * S, MS); // far back: the clock stepped; start again
        assertThat(e.buckets()).isEqualTo(1);
        assertThatThrownBy(() -> new DriftEstimator(Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DriftEstimator(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
