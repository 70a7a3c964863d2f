package io.backbeat.pulse.clock;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClockOffsetEstimatorTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final long NOW = 1_700_000_000L * S;

    private final ClockOffsetEstimator est = new ClockOffsetEstimator(8, Duration.ofSeconds(5), Duration.ofSeconds(1));

    /**
     * One exchange with a peer whose clock is {@code offset} ahead of ours, sent at local {@code t0},
     * {@code outbound} and {@code inbound} nanoseconds on the wire, 100 µs of peer processing.
     */
    private static boolean exchange(ClockOffsetEstimator e, String peer, long t0, long offset, long outbound,
                                    long inbound) {
        long t1 = t0 + outbound + offset;
        long t2 = t1 + 100_000;
        long t3 = t2 - offset + inbound;
        return e.add(peer, t0, t1, t2, t3);
    }

    @Test
    void oneSymmetricExchangeGivesTheExactOffsetAndRoundTrip() {
        assertThat(exchange(est, "b", NOW, 2 * S, 3 * MS, 3 * MS)).isTrue();
        assertThat(est.peerOffsetNanos("b")).hasValue(2 * S);
        assertThat(est.peerRttNanos("b")).hasValue(6 * MS);
        assertThat(est.peerOffsetNanos("nobody")).isEmpty();
    }

    @Test
    void aNodeTwoSecondsAheadIsSkewedAndTheOthersAreNot() {
        // A is +2 s, B and C are true
        ClockOffsetEstimator a = new ClockOffsetEstimator();
        exchange(a, "B", NOW, -2 * S, MS, MS);
        exchange(a, "C", NOW, -2 * S, MS, MS);
        ClockOffsetEstimator b = new ClockOffsetEstimator();
        exchange(b, "A", NOW, 2 * S, MS, MS);
        exchange(b, "C", NOW, 0, MS, MS);

        // A: median of {0, -2, -2} = -2 -> local +2 s
        assertThat(a.localOffsetNanos(NOW)).hasValue(2 * S);
        // B: median of {0, +2, 0} = 0 -> fine
        assertThat(b.localOffsetNanos(NOW)).hasValue(0);
        assertThat(b.peerOffsets()).isEqualTo(Map.of("A", 2 * S, "C", 0L));
    }

    @Test
    void withAnEvenCountTheMedianIsTheMiddleValueNearerToZero() {
        exchange(est, "b", NOW, 4 * S, MS, MS);
        // {0, +4 s}: an even split cannot tell which clock is wrong: this node gets the benefit of the doubt
        assertThat(est.localOffsetNanos(NOW)).hasValue(0);

        ClockOffsetEstimator four = new ClockOffsetEstimator();
        exchange(four, "b", NOW, -10 * MS, MS, MS);
        exchange(four, "c", NOW, 6 * MS, MS, MS);
        exchange(four, "d", NOW, 30 * MS, MS, MS);
        // {-10, 0, 6, 30}: middles 0 and 6 -> 0
        assertThat(four.localOffsetNanos(NOW)).hasValue(0);

        ClockOffsetEstimator skewedPair = new ClockOffsetEstimator();
        exchange(skewedPair, "b", NOW, -3 * S, MS, MS);
        exchange(skewedPair, "c", NOW, -2 * S, MS, MS);
        exchange(skewedPair, "d", NOW, -2 * S, MS, MS);
        // {-3 s, -2 s, -2 s, 0}: middles -2 s and -2 s -> this node is 2 s ahead of the others
        assertThat(skewedPair.localOffsetNanos(NOW)).hasValue(2 * S);
    }

    @Test
    void theSampleWithTheSmallestRoundTripWins() {
        // true offset 50 ms; asymmetric delays skew the single-sample estimate by (outbound - inbound) / 2
        exchange(est, "b", NOW, 50 * MS, 40 * MS, 2 * MS);          // rtt 42 ms, estimate +69 ms
        exchange(est, "b", NOW + S / 2, 50 * MS, 3 * MS, MS);       // rtt 4 ms, estimate +51 ms
        exchange(est, "b", NOW + S, 50 * MS, 2 * MS, 30 * MS);      // rtt 32 ms, estimate +36 ms
        assertThat(est.peerOffsetNanos("b")).hasValue(51 * MS);
        assertThat(est.peerRttNanos("b")).hasValue(4 * MS);
    }

    @Test
    void theWindowKeepsTheLastSamplesOnly() {
        ClockOffsetEstimator small = new ClockOffsetEstimator(2, Duration.ofSeconds(5), Duration.ofSeconds(1));
        exchange(small, "b", NOW, 10 * MS, MS, MS);                 // best, but pushed out by two newer ones
        exchange(small, "b", NOW + MS, 20 * MS, 5 * MS, 5 * MS);
        exchange(small, "b", NOW + 2 * MS, 30 * MS, 4 * MS, 4 * MS);
        assertThat(small.peerOffsetNanos("b")).hasValue(30 * MS);
    }

    @Test
    void samplesOlderThanTheMaxAgeAreForgottenAndASilentPeerGoesStale() {
        exchange(est, "b", NOW, 10 * MS, MS, MS);                   // rtt 2 ms, the best so far
        exchange(est, "b", NOW + 6 * S, 20 * MS, 5 * MS, 5 * MS);   // 6 s newer: the first is out of the window
        assertThat(est.peerOffsetNanos("b")).hasValue(20 * MS);

        long lastT3 = NOW + 6 * S + 10 * MS + 100_000;
        // {0, +20 ms}: an even split, so 0, but still a verdict while b is fresh
        assertThat(est.localOffsetNanos(lastT3 + 5 * S)).hasValue(0);
        assertThat(est.localOffsetNanos(lastT3 + 5 * S + 1)).as("no fresh peer").isEmpty();
        assertThat(est.peerOffsets()).containsKey("b");
        assertThat(est.forgetStale(lastT3 + 5 * S + 1)).isEqualTo(1);
        assertThat(est.peerOffsets()).isEmpty();
    }

    @Test
    void aStalePeerIsLeftOutOfTheMedian() {
        exchange(est, "b", NOW, 2 * S, MS, MS);
        exchange(est, "c", NOW + 4 * S, 6 * MS, MS, MS);
        exchange(est, "d", NOW + 4 * S, 8 * MS, MS, MS);
        // at NOW + 4 s all three are fresh: {0, 6 ms, 8 ms, 2 s}: the middle value nearer zero, 6 ms
        assertThat(est.localOffsetNanos(NOW + 4 * S)).hasValue(-6 * MS);
        exchange(est, "e", NOW + 4 * S, 7 * MS, MS, MS);
        // {0, 6, 7, 8 ms, 2 s}: 7 ms
        assertThat(est.localOffsetNanos(NOW + 4 * S)).hasValue(-7 * MS);
        est.forget("e");
        // at NOW + 6 s b is stale: median of {0, 6 ms, 8 ms} = 6 ms
        assertThat(est.localOffsetNanos(NOW + 6 * S)).hasValue(-6 * MS);
    }

    @Test
    void badSamplesAreRejectedAndChangeNothing() {
        exchange(est, "b", NOW, 5 * MS, MS, MS);
        // negative round trip: the peer claims to have held the probe longer than it was away
        assertThat(est.add("b", NOW, NOW + 10 * MS, NOW + 50 * MS, NOW + 20 * MS)).isFalse();
        // round trip above the 1 s bound
        assertThat(exchange(est, "b", NOW, 0, 600 * MS, 600 * MS)).isFalse();
        // overflowing timestamps
        assertThat(est.add("b", Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1)).isFalse();
        assertThat(est.add("c", NOW, Long.MAX_VALUE - 10, Long.MAX_VALUE, NOW + 20)).isFalse();
        // exactly at the bound is accepted
        assertThat(exchange(est, "c", NOW, 0, 500 * MS, 500 * MS)).isTrue();

        assertThat(est.peerOffsetNanos("b")).hasValue(5 * MS);
        assertThat(est.peerRttNanos("c")).hasValue(S);
        assertThatThrownBy(() -> est.add(null, 0, 0, 0, 0)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void noPeerNoOffsetAndForgetDropsAPeer() {
        assertThat(est.localOffsetNanos(NOW)).isEqualTo(OptionalLong.empty());
        exchange(est, "b", NOW, 5 * MS, MS, MS);
        exchange(est, "c", NOW, 7 * MS, MS, MS);
        est.forget("b");
        assertThat(est.peerOffsetNanos("b")).isEmpty();
        assertThat(est.peerOffsets()).isEqualTo(Map.of("c", 7 * MS));
        assertThatThrownBy(() -> est.peerOffsets().put("x", 1L)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void invalidSettingsAreRefused() {
        assertThatThrownBy(() -> new ClockOffsetEstimator(0, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ClockOffsetEstimator(8, Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ClockOffsetEstimator(8, Duration.ofSeconds(1), Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
