package io.backbeat.rhythm;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue #14: an alert fires once when its level is entered, and clears with hysteresis; TempoSample validation. */
class TempoAlertHysteresisTest {

    private static TempoSample misses(double rate) {
        return new TempoSample(0.5, rate, 1 - rate, 0.5);
    }

    @Test
    void oneOverrunIsOneCriticalNotOnePerCheck() {
        TempoAlerts alerts = TempoAlerts.withDefaults();
        List<TempoAlerts.Alert> seen = new ArrayList<>();
        List<TempoAlerts.Kind> cleared = new ArrayList<>();
        alerts.onAlert(seen::add);
        alerts.onClear(cleared::add);
        // the miss rate over the last 19 phases, checked after every phase: one overrun in phase 5
        ArrayDeque<Boolean> window = new ArrayDeque<>();
        for (int phase = 0; phase < 60; phase++) {
            window.addLast(phase == 5);
            if (window.size() > 19) {
                window.removeFirst();
            }
            long missed = window.stream().filter(b -> b).count();
            alerts.evaluate(misses((double) missed / 19));
        }
        // the overrun kept the rate at 5.3% for 19 checks: one critical, then cleared once the rate was back
        assertThat(seen).extracting(TempoAlerts.Alert::kind).containsExactly(TempoAlerts.Kind.DEADLINE_MISSES);
        assertThat(seen.get(0).level()).isEqualTo(TempoAlerts.Level.CRITICAL);
        assertThat(alerts.count(TempoAlerts.Kind.DEADLINE_MISSES)).isEqualTo(1);
        assertThat(cleared).containsExactly(TempoAlerts.Kind.DEADLINE_MISSES);
        assertThat(alerts.isActive(TempoAlerts.Kind.DEADLINE_MISSES)).isFalse();
        // a second overrun later is a second alert
        assertThat(alerts.evaluate(misses(0.06))).hasSize(1);
        assertThat(alerts.count(TempoAlerts.Kind.DEADLINE_MISSES)).isEqualTo(2);
    }

    @Test
    void aValueHoveringAroundTheThresholdFiresOnce() {
        TempoAlerts alerts = TempoAlerts.withDefaults();
        int fired = 0;
        for (int i = 0; i < 20; i++) {
            double share = i % 2 == 0 ? 0.91 : 0.89; // above and below the raise threshold, above the clear one
            fired += alerts.evaluate(new TempoSample(share, 0, 1, 0.5)).size();
        }
        assertThat(fired).isEqualTo(1);
        assertThat(alerts.active()).containsExactly(TempoAlerts.Kind.NEAR_DEADLINE);
    }

    @Test
    void anAlertClearsOnlyAfterNChecksAtOrBelowTheClearThreshold() {
        TempoAlerts alerts = TempoAlerts.builder()
                .raiseAbove(new TempoAlerts.Thresholds(0.9, 0.05, 0.9))
                .clearAtOrBelow(new TempoAlerts.Thresholds(0.8, 0.02, 0.7))
                .clearAfter(3)
                .build();
        TempoSample hot = new TempoSample(0.5, 0, 1, 0.95);
        TempoSample cool = new TempoSample(0.5, 0, 1, 0.7);
        TempoSample warm = new TempoSample(0.5, 0, 1, 0.75); // below raise, above clear
        assertThat(alerts.evaluate(hot)).hasSize(1);
        assertThat(alerts.evaluate(cool)).isEmpty();
        assertThat(alerts.evaluate(cool)).isEmpty();
        assertThat(alerts.evaluate(warm)).isEmpty(); // resets the count of quiet checks
        assertThat(alerts.evaluate(cool)).isEmpty();
        assertThat(alerts.evaluate(cool)).isEmpty();
        assertThat(alerts.evaluate(hot)).isEmpty();  // still active: only 2 quiet checks in a row
        assertThat(alerts.isActive(TempoAlerts.Kind.HIGH_CPU)).isTrue();
        for (int i = 0; i < 3; i++) {
            alerts.evaluate(cool);
        }
        assertThat(alerts.isActive(TempoAlerts.Kind.HIGH_CPU)).isFalse();
        assertThat(alerts.evaluate(hot)).extracting(TempoAlerts.Alert::kind).containsExactly(TempoAlerts.Kind.HIGH_CPU);
        assertThat(alerts.count(TempoAlerts.Kind.HIGH_CPU)).isEqualTo(2);

        assertThat(TempoAlerts.withDefaults().clearThresholds().missRate()).isCloseTo(0.04, org.assertj.core.data.Offset.offset(1e-12));
        assertThatThrownBy(() -> TempoAlerts.builder().clearAtOrBelow(new TempoAlerts.Thresholds(0.95, 0.01, 0.5)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NEAR_DEADLINE (0.95)");
        assertThatThrownBy(() -> TempoAlerts.builder().clearAfter(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tempoSampleNamesTheFieldAndTheValueOutOfRange() {
        assertThatThrownBy(() -> new TempoSample(-0.5, 0, 1, 0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("processingShare must be finite and >= 0, got -0.5");
        assertThatThrownBy(() -> new TempoSample(Double.POSITIVE_INFINITY, 0, 1, 0.5))
                .hasMessage("processingShare must be finite and >= 0, got Infinity");
        assertThatThrownBy(() -> new TempoSample(0.5, 1.5, 0, 0.5))
                .hasMessage("deadlineMissRate must be in [0, 1], got 1.5");
        assertThatThrownBy(() -> new TempoSample(0.5, 0, -0.1, 0.5))
                .hasMessage("completionRate must be in [0, 1], got -0.1");
        assertThatThrownBy(() -> new TempoSample(0.5, 0, 1, Double.NaN))
                .hasMessage("cpuUtilization must be in [0, 1], got NaN");
        assertThatThrownBy(() -> new TempoSample(0.5, 0, 1, 1.2))
                .hasMessage("cpuUtilization must be in [0, 1], got 1.2");
        // processing may exceed the phase (an overrun); the rates' bounds are valid
        assertThat(new TempoSample(1.3, 1, 0, 1).processingShare()).isEqualTo(1.3);
        assertThat(new TempoSample(0, 0, 1, 0).completionRate()).isEqualTo(1);
    }
}
