package io.backbeat.rhythm;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The tempo guide's alerts: processing near the deadline (warning), a high deadline miss rate
 * (critical), high CPU (warning). Thresholds are configurable; every raised alert is delivered to
 * the registered listeners and counted by kind. Thread-safe.
 */
public final class TempoAlerts {
    /** Kinds of alert. */
    public enum Kind { NEAR_DEADLINE, DEADLINE_MISSES, HIGH_CPU }

    /** Severity. */
    public enum Level { WARNING, CRITICAL }

    /** One alert. */
    public record Alert(Kind kind, Level level, String message, String recommendation) {
    }

    /** Thresholds (defaults: 0.90 of the phase, 5% misses, 90% CPU). */
    public record Thresholds(double nearDeadlineShare, double missRate, double cpu) {
        public static final Thresholds DEFAULT = new Thresholds(0.90, 0.05, 0.90);
    }

    private final Thresholds thresholds;
    private final Map<Kind, LongAdder> counts = new EnumMap<>(Kind.class);
    private final List<Consumer<Alert>> listeners = new CopyOnWriteArrayList<>();

    public TempoAlerts(Thresholds thresholds) {
        this.thresholds = thresholds;
        for (Kind k : Kind.values()) {
            counts.put(k, new LongAdder());
        }
    }

    /** Alerts with the guide's thresholds. */
    public static TempoAlerts withDefaults() {
        return new TempoAlerts(Thresholds.DEFAULT);
    }

    /** Calls {@code listener} for every alert raised from now on (on the evaluating thread). */
    public void onAlert(Consumer<Alert> listener) {
        listeners.add(listener);
    }

    /** Checks a sample; returns (and publishes) the alerts it raises. */
    public List<Alert> evaluate(TempoSample s) {
        List<Alert> out = new ArrayList<>();
        if (s.processingShare() > thresholds.nearDeadlineShare()) {
            out.add(new Alert(Kind.NEAR_DEADLINE, Level.WARNING, String.format(java.util.Locale.ROOT,
                    "beat processing takes %.0f%% of the phase", s.processingShare() * 100),
                    "consider reducing tempo or optimizing processing"));
        }
        if (s.deadlineMissRate() > thresholds.missRate()) {
            out.add(new Alert(Kind.DEADLINE_MISSES, Level.CRITICAL, String.format(java.util.Locale.ROOT,
                    "%.1f%% of deadlines missed", s.deadlineMissRate() * 100),
                    "reduce tempo immediately or scale resources"));
        }
        if (s.cpuUtilization() > thresholds.cpu()) {
            out.add(new Alert(Kind.HIGH_CPU, Level.WARNING, String.format(java.util.Locale.ROOT,
                    "CPU at %.0f%%", s.cpuUtilization() * 100), "scale up or reduce work per beat"));
        }
        for (Alert a : out) {
            counts.get(a.kind()).increment();
            for (Consumer<Alert> l : listeners) {
                l.accept(a);
            }
        }
        return out;
    }

    /** Alerts raised so far, by kind. */
    public long count(Kind kind) {
        return counts.get(kind).sum();
    }
}
