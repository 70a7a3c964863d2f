package io.backbeat.rhythm;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The tempo guide's alerts: processing near the deadline (warning), a high deadline miss rate
 * (critical), high CPU (warning), with hysteresis.
 *
 * <p>Each kind is either clear or active. A clear kind whose value rises above its <em>raise</em>
 * threshold becomes active and fires one alert (delivered to the {@link #onAlert listeners} and
 * counted). While it is active, checks fire nothing more, however high the value; it clears only
 * after its value was at or below the lower <em>clear</em> threshold in {@code clearAfter}
 * consecutive checks (the {@link #onClear clear listeners} are told), and only then can it fire
 * again. So one overrun that keeps the miss rate above 5% for a while is one critical, not one per
 * check. Defaults: raise above 0.90 of the phase, 5% misses, 90% CPU; clear at 80% of those values
 * (0.72, 4%, 72%) for 3 checks. Thread-safe.
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

        /** Each threshold times {@code factor}. */
        public Thresholds scaled(double factor) {
            return new Thresholds(nearDeadlineShare * factor, missRate * factor, cpu * factor);
        }

        double of(Kind k) {
            return switch (k) {
                case NEAR_DEADLINE -> nearDeadlineShare;
                case DEADLINE_MISSES -> missRate;
                case HIGH_CPU -> cpu;
            };
        }
    }

    /** The default clear thresholds as a share of the raise thresholds. */
    public static final double DEFAULT_CLEAR_FACTOR = 0.8;

    /** The default number of consecutive checks at or below the clear threshold that clear an alert. */
    public static final int DEFAULT_CLEAR_AFTER = 3;

    private final Thresholds raise;
    private final Thresholds clear;
    private final int clearAfter;
    private final Map<Kind, LongAdder> counts = new EnumMap<>(Kind.class);
    private final List<Consumer<Alert>> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Kind>> clearListeners = new CopyOnWriteArrayList<>();
    // guarded by 'this'
    private final Set<Kind> active = EnumSet.noneOf(Kind.class);
    private final Map<Kind, Integer> quietChecks = new EnumMap<>(Kind.class);

    /** Alerts raised above {@code thresholds}, cleared at 80% of them for 3 checks. */
    public TempoAlerts(Thresholds thresholds) {
        this(thresholds, Objects.requireNonNull(thresholds, "thresholds").scaled(DEFAULT_CLEAR_FACTOR),
                DEFAULT_CLEAR_AFTER);
    }

    private TempoAlerts(Thresholds raise, Thresholds clear, int clearAfter) {
        for (Kind k : Kind.values()) {
            if (!(clear.of(k) <= raise.of(k))) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "the clear threshold of %s (%s) must not be above its raise threshold (%s)", k, clear.of(k),
                        raise.of(k)));
            }
            counts.put(k, new LongAdder());
            quietChecks.put(k, 0);
        }
        this.raise = raise;
        this.clear = clear;
        this.clearAfter = clearAfter;
    }

    /** Alerts with the guide's thresholds. */
    public static TempoAlerts withDefaults() {
        return new TempoAlerts(Thresholds.DEFAULT);
    }

    /** A builder (defaults as {@link #withDefaults()}). */
    public static Builder builder() {
        return new Builder();
    }

    /** Calls {@code listener} for every alert raised from now on (on the evaluating thread). */
    public void onAlert(Consumer<Alert> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Calls {@code listener} with the kind whenever an active alert clears (on the evaluating thread). */
    public void onClear(Consumer<Kind> listener) {
        clearListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Checks a sample; returns (and publishes) the alerts it raises: only kinds that were clear and
     * now rise above their raise threshold.
     */
    public List<Alert> evaluate(TempoSample s) {
        Objects.requireNonNull(s, "sample");
        List<Alert> out = new ArrayList<>();
        List<Kind> cleared = new ArrayList<>();
        synchronized (this) {
            for (Kind k : Kind.values()) {
                double v = value(k, s);
                if (!active.contains(k)) {
                    if (v > raise.of(k)) {
                        active.add(k);
                        quietChecks.put(k, 0);
                        out.add(alert(k, s));
                    }
                } else if (v <= clear.of(k)) {
                    int quiet = quietChecks.get(k) + 1;
                    if (quiet >= clearAfter) {
                        active.remove(k);
                        quiet = 0;
                        cleared.add(k);
                    }
                    quietChecks.put(k, quiet);
                } else {
                    quietChecks.put(k, 0);
                }
            }
        }
        for (Alert a : out) {
            counts.get(a.kind()).increment();
            for (Consumer<Alert> l : listeners) {
                l.accept(a);
            }
        }
        for (Kind k : cleared) {
            for (Consumer<Kind> l : clearListeners) {
                l.accept(k);
            }
        }
        return out;
    }

    private static double value(Kind k, TempoSample s) {
        return switch (k) {
            case NEAR_DEADLINE -> s.processingShare();
            case DEADLINE_MISSES -> s.deadlineMissRate();
            case HIGH_CPU -> s.cpuUtilization();
        };
    }

    private static Alert alert(Kind k, TempoSample s) {
        return switch (k) {
            case NEAR_DEADLINE -> new Alert(k, Level.WARNING, String.format(Locale.ROOT,
                    "beat processing takes %.0f%% of the phase", s.processingShare() * 100),
                    "consider reducing tempo or optimizing processing");
            case DEADLINE_MISSES -> new Alert(k, Level.CRITICAL, String.format(Locale.ROOT,
                    "%.1f%% of deadlines missed", s.deadlineMissRate() * 100),
                    "reduce tempo immediately or scale resources");
            case HIGH_CPU -> new Alert(k, Level.WARNING, String.format(Locale.ROOT,
                    "CPU at %.0f%%", s.cpuUtilization() * 100), "scale up or reduce work per beat");
        };
    }

    /** {@code true} while an alert of {@code kind} is active (raised and not cleared yet). */
    public synchronized boolean isActive(Kind kind) {
        return active.contains(Objects.requireNonNull(kind, "kind"));
    }

    /** The kinds whose alert is active now. */
    public synchronized Set<Kind> active() {
        return active.isEmpty() ? Set.of() : Set.copyOf(active);
    }

    /** Alerts raised so far, by kind. */
    public long count(Kind kind) {
        return counts.get(kind).sum();
    }

    /** The raise thresholds. */
    public Thresholds raiseThresholds() {
        return raise;
    }

    /** The clear thresholds. */
    public Thresholds clearThresholds() {
        return clear;
    }

    /** Builder for {@link TempoAlerts}. Not thread-safe. */
    public static final class Builder {
        private Thresholds raise = Thresholds.DEFAULT;
        private Thresholds clear;
        private int clearAfter = DEFAULT_CLEAR_AFTER;

        private Builder() {
        }

        /** An alert fires when its value rises above these (default {@link Thresholds#DEFAULT}). */
        public Builder raiseAbove(Thresholds thresholds) {
            this.raise = Objects.requireNonNull(thresholds, "thresholds");
            return this;
        }

        /** An active alert clears at or below these (default: 80% of the raise thresholds); none above them. */
        public Builder clearAtOrBelow(Thresholds thresholds) {
            this.clear = Objects.requireNonNull(thresholds, "thresholds");
            return this;
        }

        /** Consecutive checks at or below the clear threshold that clear an alert (default 3, at least 1). */
        public Builder clearAfter(int checks) {
            if (checks < 1) {
                throw new IllegalArgumentException("clearAfter must be >= 1, got " + checks);
            }
            this.clearAfter = checks;
            return this;
        }

        /**
         * Builds the alerts.
         *
         * @throws IllegalArgumentException if a clear threshold is above its raise threshold
         */
        public TempoAlerts build() {
            return new TempoAlerts(raise, clear != null ? clear : raise.scaled(DEFAULT_CLEAR_FACTOR), clearAfter);
        }
    }
}
