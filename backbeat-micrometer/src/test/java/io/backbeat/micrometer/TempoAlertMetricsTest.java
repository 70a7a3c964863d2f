package io.backbeat.micrometer;

import io.backbeat.rhythm.TempoAlerts;
import io.backbeat.rhythm.TempoSample;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TempoAlertMetricsTest {
    @Test
    void alertsAreCountedByKind() {
        TempoAlerts alerts = TempoAlerts.withDefaults();
        alerts.evaluate(new TempoSample(0.95, 0.06, 0.8, 0.95));
        assertThat(alerts.count(TempoAlerts.Kind.DEADLINE_MISSES)).isEqualTo(1);
        SimpleMeterRegistry reg = new SimpleMeterRegistry();
        new TempoAlertMetrics(alerts).bindTo(reg);
        assertThat(reg.get("backbeat.client.tempo.alerts").tag("kind", "deadline_misses").functionCounter().count())
                .isEqualTo(1.0);
    }
}
