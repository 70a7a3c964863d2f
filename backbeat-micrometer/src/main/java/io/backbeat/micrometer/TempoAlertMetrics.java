package io.backbeat.micrometer;

import io.backbeat.rhythm.TempoAlerts;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Locale;

/** {@code backbeat.client.tempo.alerts{kind}}: alerts raised by a {@link TempoAlerts}. */
public final class TempoAlertMetrics implements MeterBinder {
    private final TempoAlerts alerts;

    public TempoAlertMetrics(TempoAlerts alerts) {
        this.alerts = alerts;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (TempoAlerts.Kind k : TempoAlerts.Kind.values()) {
            FunctionCounter.builder("backbeat.client.tempo.alerts", alerts, a -> a.count(k))
                    .tag("kind", k.name().toLowerCase(Locale.ROOT)).register(registry);
        }
    }
}
