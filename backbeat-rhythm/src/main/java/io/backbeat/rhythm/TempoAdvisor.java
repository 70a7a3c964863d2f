package io.backbeat.rhythm;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The tempo guide's three rules, and its capacity planner, as one pure function. Each limit is a
 * maximum tempo; the advice is the lowest of them, named.
 * <ul>
 *   <li>{@code task_duration}: a task must fit in one phase of three: {@code bpm <= 60 / (task * 3)};</li>
 *   <li>{@code coordination_interval}: services sync once a beat: {@code bpm = 60 / interval}
 *       (a target, treated as an upper bound);</li>
 *   <li>{@code sustainable}: work plus recovery per beat: {@code bpm <= 60 / (task + recovery)};</li>
 *   <li>{@code cpu}, {@code memory}, {@code io}: capacity (see {@link Builder#cpuSecondsPerBeat}).</li>
 * </ul>
 */
public final class TempoAdvisor {
    private final Duration task;
    private final Duration recovery;
    private final Duration interval;
    private final int phases;
    private final Double cpuSecondsPerBeat;
    private final Double cpuCores;
    private final Double memoryBudget;
    private final Double memoryPerBeat;
    private final Double iopsBudget;
    private final Double ioPerBeat;

    private TempoAdvisor(Builder b) {
        this.task = b.task;
        this.recovery = b.recovery;
        this.interval = b.interval;
        this.phases = b.phases;
        this.cpuSecondsPerBeat = b.cpuSecondsPerBeat;
        this.cpuCores = b.cpuCores;
        this.memoryBudget = b.memoryBudget;
        this.memoryPerBeat = b.memoryPerBeat;
        this.iopsBudget = b.iopsBudget;
        this.ioPerBeat = b.ioPerBeat;
    }

    /** A builder; give at least one input. */
    public static Builder builder() {
        return new Builder();
    }

    /** The advice. */
    public TempoAdvice advise() {
        Map<String, Double> limits = new LinkedHashMap<>();
        if (task != null) {
            limits.put("task_duration", 60.0 / (seconds(task) * phases));
        }
        if (interval != null) {
            limits.put("coordination_interval", 60.0 / seconds(interval));
        }
        if (task != null && recovery != null) {
            limits.put("sustainable", 60.0 / (seconds(task) + seconds(recovery)));
        }
        if (cpuSecondsPerBeat != null) {
            // one beat's CPU work spread over the cores must fit in one phase
            limits.put("cpu", 60.0 / (cpuSecondsPerBeat / cpuCores * phases));
        }
        if (memoryBudget != null) {
            // beats in flight per minute bounded by memory: the guide's Memory / MemoryPerBeat
            limits.put("memory", memoryBudget / memoryPerBeat);
        }
        if (iopsBudget != null) {
            // IOPS budget per second * 60 / IO per beat
            limits.put("io", iopsBudget * 60.0 / ioPerBeat);
        }
        if (limits.isEmpty()) {
            throw new IllegalStateException("give at least a task duration, an interval or a capacity");
        }
        Map.Entry<String, Double> min = limits.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow();
        String why = switch (min.getKey()) {
            case "task_duration" -> String.format(Locale.ROOT, "a %s task must fit in one of %d phases: 60 / (%s x %d)",
                    fmt(task), phases, fmt(task), phases);
            case "coordination_interval" -> String.format(Locale.ROOT, "services should sync every %s: 60 / %s",
                    fmt(interval), fmt(interval));
            case "sustainable" -> String.format(Locale.ROOT, "each beat needs %s of work plus %s of recovery: 60 / (%s + %s)",
                    fmt(task), fmt(recovery), fmt(task), fmt(recovery));
            case "cpu" -> String.format(Locale.ROOT, "%.3f CPU-seconds per beat on %.1f cores must fit in one phase",
                    cpuSecondsPerBeat, cpuCores);
            case "memory" -> "memory budget / memory per beat";
            default -> "IO budget per minute / IO per beat";
        };
        return new TempoAdvice(min.getValue(), min.getKey(), limits, "the " + min.getKey().replace('_', ' ')
                + " rule binds: " + why + String.format(Locale.ROOT, " = %.4f BPM", min.getValue()));
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    private static String fmt(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** Builder for {@link TempoAdvisor}. */
    public static final class Builder {
        private Duration task;
        private Duration recovery;
        private Duration interval;
        private int phases = 3;
        private Double cpuSecondsPerBeat;
        private Double cpuCores;
        private Double memoryBudget;
        private Double memoryPerBeat;
        private Double iopsBudget;
        private Double ioPerBeat;

        private Builder() {
        }

        /** Average task duration (rule 1, and rule 3 with {@link #recovery}). */
        public Builder task(Duration d) {
            this.task = positive(d, "task");
            return this;
        }

        /** Recovery time after a task (rule 3). */
        public Builder recovery(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("recovery must be >= 0, got " + d);
            }
            this.recovery = d;
            return this;
        }

        /** Desired sync interval between services (rule 2). */
        public Builder coordinationInterval(Duration d) {
            this.interval = positive(d, "interval");
            return this;
        }

        /** Phases per beat (default 3). */
        public Builder phases(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("phases must be >= 1, got " + n);
            }
            this.phases = n;
            return this;
        }

        /** CPU work of one beat, and the cores available to it. */
        public Builder cpuSecondsPerBeat(double cpuSeconds, double cores) {
            if (!(cpuSeconds > 0) || !(cores > 0)) {
                throw new IllegalArgumentException("cpu seconds and cores must be > 0");
            }
            this.cpuSecondsPerBeat = cpuSeconds;
            this.cpuCores = cores;
            return this;
        }

        /** Memory available and needed per beat (same unit). */
        public Builder memory(double budget, double perBeat) {
            if (!(budget > 0) || !(perBeat > 0)) {
                throw new IllegalArgumentException("memory budget and per-beat need must be > 0");
            }
            this.memoryBudget = budget;
            this.memoryPerBeat = perBeat;
            return this;
        }

        /** IO operations per second available, and IO operations per beat. */
        public Builder io(double iopsBudget, double ioPerBeat) {
            if (!(iopsBudget > 0) || !(ioPerBeat > 0)) {
                throw new IllegalArgumentException("IOPS budget and IO per beat must be > 0");
            }
            this.iopsBudget = iopsBudget;
            this.ioPerBeat = ioPerBeat;
            return this;
        }

        public TempoAdvisor build() {
            return new TempoAdvisor(this);
        }

        private static Duration positive(Duration d, String what) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be > 0, got " + d);
            }
            return d;
        }
    }
}
