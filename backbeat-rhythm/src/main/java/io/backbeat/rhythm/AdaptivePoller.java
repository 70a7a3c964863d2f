package io.backbeat.rhythm;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A work-driven heartbeat within a fixed poll budget: a regular <em>backbone</em> of polls, plus
 * <em>follow-up</em> polls shortly after a poll that found work (work tends to create work: the job a
 * poll picked up may insert the next one), never more than {@code maxPolls} in any {@code window}.
 *
 * <p>The backbone polls on a fixed rhythm from the first poll, whatever the follow-ups did, so a job
 * never waits longer than the longest backbone interval, as with a fixed poller. The backbone uses
 * part of the budget ({@link #backbonePollsPerWindow()}); the rest ({@link #followUpBudget()}) is
 * spent on follow-ups: after a poll that found work, a poll at the first follow-up delay after it, and
 * while they find nothing at the next delays (counted again from any follow-up that finds work).
 * Follow-ups have a depth: 1 after a backbone poll that found work, {@code k + 1} after a follow-up of
 * depth {@code k} that found work; one of depth {@code k} is made only while fewer than
 * {@code followUpBudget / k} follow-ups fall in the window before it, so that under load the budget
 * goes to the start of every chain of work rather than to the tail of a few. A follow-up that
 * would come less than the first delay before a backbone poll is left to that poll.
 *
 * <p>At the same budget as a fixed poller of {@code window / maxPolls}, a longer backbone interval
 * makes independent jobs wait longer, and the follow-ups pick up a job created by the work found by
 * a poll after a few milliseconds instead of a whole interval. Which wins depends on the workload
 * (see the rhythm tools' documentation for measurements).
 *
 * <pre>{@code
 * AdaptivePoller poller = AdaptivePoller.builder()
 *         .budget(20, Duration.ofSeconds(6))           // as a fixed poller of 300 ms
 *         .backbonePolls(13)                           // every 461.5 ms; 7 polls a window left for follow-ups
 *         .followUps(Duration.ofMillis(5), Duration.ofMillis(25))  // after a poll that found work
 *         .build();
 * long next = poller.polled(System.nanoTime(), pollTheQueue());
 * }</pre>
 *
 * <p>Pure: time is passed in (nanoseconds on any monotonic scale, the same for every call) and no
 * thread is started. Not thread-safe: one poller per polling loop.
 */
public final class AdaptivePoller {
    private final int maxPolls;
    private final long windowNanos;
    private final long[] backboneNanos;
    private final long[] backboneOffsets;
    private final long cycleNanos;
    private final long[] followUpNanos;
    private final int backbonePerWindow;
    private final int followUpBudget;

    private boolean started;
    private long origin;
    /** The last {@code maxPolls} poll instants, a ring. */
    private final long[] recent;
    private int recentCount;
    private int recentHead;
    /** Follow-up poll instants within the last window. */
    private final ArrayDeque<Long> followUps = new ArrayDeque<>();
    private long lastFound;
    private int nextFollowUp;
    private boolean scheduledIsFollowUp;
    /** 1 for the follow-ups of a backbone poll that found work, k + 1 for those of a depth-k follow-up that did. */
    private int depth;
    private int scheduledDepth;

    private AdaptivePoller(Builder b) {
        this.maxPolls = b.maxPolls;
        this.windowNanos = b.window.toNanos();
        this.backboneNanos = b.backbone.stream().mapToLong(Duration::toNanos).toArray();
        this.backboneOffsets = new long[backboneNanos.length];
        long cycle = 0;
        for (int i = 0; i < backboneNanos.length; i++) {
            backboneOffsets[i] = cycle;
            cycle = Math.addExact(cycle, backboneNanos[i]);
        }
        this.cycleNanos = cycle;
        this.followUpNanos = b.followUps.stream().mapToLong(Duration::toNanos).toArray();
        this.backbonePerWindow = backbonePerWindow(backboneOffsets, cycleNanos, windowNanos, maxPolls);
        this.followUpBudget = maxPolls - backbonePerWindow;
        this.recent = new long[maxPolls];
        this.nextFollowUp = followUpNanos.length;
    }

    /** A builder; {@link Builder#budget(int, Duration) budget} and {@link Builder#backbone(Duration...) backbone} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Records a poll made at {@code nowNanos} that found work or not, and returns when to poll next
     * (on the same scale, after {@code nowNanos}). Call it for every poll, and poll no earlier than
     * the instant it returned: then no window of the budget's length holds more than
     * {@code maxPolls} polls, however late the polls are.
     */
    public long polled(long nowNanos, boolean foundWork) {
        boolean wasFollowUp = started && scheduledIsFollowUp;
        if (!started) {
            started = true;
            origin = nowNanos;
        }
        recent[recentHead] = nowNanos;
        recentHead = (recentHead + 1) % maxPolls;
        recentCount = Math.min(recentCount + 1, maxPolls);
        while (!followUps.isEmpty() && followUps.peekFirst() <= nowNanos - windowNanos) {
            followUps.pollFirst();
        }
        if (wasFollowUp) {
            followUps.addLast(nowNanos);
        }
        if (foundWork) {
            lastFound = nowNanos;
            nextFollowUp = 0;
            depth = wasFollowUp ? scheduledDepth + 1 : 1;
        }
        long backbone = nextBackbone(nowNanos);
        long next = backbone;
        scheduledIsFollowUp = false;
        while (nextFollowUp < followUpNanos.length) {
            long f = lastFound + followUpNanos[nextFollowUp];
            if (f > backbone - followUpNanos[0]) {
                break; // the backbone poll comes first or close enough: it serves (the rest are counted from it)
            }
            nextFollowUp++;
            if (f > nowNanos && followUpAllowedAt(f, depth)) {
                scheduledDepth = depth;
                next = f;
                scheduledIsFollowUp = true;
                break;
            }
        }
        if (recentCount == maxPolls) {
            // the budget, whatever happened: the oldest of the last maxPolls polls must leave the window first
            long limit = recent[recentHead] + windowNanos;
            if (next < limit) {
                next = limit;
                scheduledIsFollowUp = false;
            }
        }
        return next;
    }

    /** The most polls allowed in any window of {@link #window()}. */
    public int maxPolls() {
        return maxPolls;
    }

    /** The length of the budget's window. */
    public Duration window() {
        return Duration.ofNanos(windowNanos);
    }

    /** The backbone's intervals, repeated in this order (one interval: a fixed rhythm). */
    public List<Duration> backbone() {
        List<Duration> out = new ArrayList<>(backboneNanos.length);
        for (long n : backboneNanos) {
            out.add(Duration.ofNanos(n));
        }
        return List.copyOf(out);
    }

    /** The follow-up delays after a poll that found work, increasing (empty: backbone only). */
    public List<Duration> followUpDelays() {
        List<Duration> out = new ArrayList<>(followUpNanos.length);
        for (long n : followUpNanos) {
            out.add(Duration.ofNanos(n));
        }
        return List.copyOf(out);
    }

    /** The most backbone polls in any window: the part of the budget the backbone uses. */
    public int backbonePollsPerWindow() {
        return backbonePerWindow;
    }

    /** The most follow-up polls in any window: {@code maxPolls - backbonePollsPerWindow()}. */
    public int followUpBudget() {
        return followUpBudget;
    }

    /** The interval of the fixed poller with the same budget: {@code window / maxPolls}. */
    public Duration fixedEquivalent() {
        return Duration.ofNanos(windowNanos / maxPolls);
    }

    @Override
    public String toString() {
        return "AdaptivePoller[" + maxPolls + " polls per " + window() + ", backbone " + backbone() + " ("
                + backbonePerWindow + " per window), follow-ups " + followUpDelays() + " (up to " + followUpBudget
                + " per window)]";
    }

    private long nextBackbone(long now) {
        long k = Math.floorDiv(now - origin, cycleNanos);
        long base = origin + k * cycleNanos;
        for (int round = 0; round < 2; round++) {
            for (long offset : backboneOffsets) {
                long t = base + offset;
                if (t > now) {
                    return t;
                }
            }
            base += cycleNanos;
        }
        throw new IllegalStateException("no backbone instant after " + now); // unreachable: offsets < cycle
    }

    private boolean followUpAllowedAt(long t, int depth) {
        if (followUpBudget <= 0) {
            return false;
        }
        int share = followUpBudget / depth;
        int inWindow = 0;
        for (long f : followUps) {
            if (f > t - windowNanos) {
                inWindow++;
            }
        }
        return inWindow < share;
    }

    /** The most instants of the periodic backbone in any half-open window of {@code window}. */
    static int backbonePerWindow(long[] offsets, long cycle, long window, int cap) {
        long fullCycles = window / cycle;
        long rest = window - fullCycles * cycle;
        if (fullCycles > (long) cap / offsets.length + 1) {
            return cap + 1; // more than the budget anyway; avoids overflow
        }
        long best = 0;
        int n = offsets.length;
        for (int j = 0; j < n; j++) {
            long count = fullCycles * n;
            for (int k = 0; k < n; k++) {
                long delta = Math.floorMod(offsets[(j + k) % n] - offsets[j], cycle);
                if (delta < rest) {
                    count++;
                }
            }
            best = Math.max(best, count);
        }
        return (int) Math.min(best, cap + 1L);
    }

    /** Builder for {@link AdaptivePoller}. Not thread-safe. */
    public static final class Builder {
        private int maxPolls;
        private Duration window;
        private List<Duration> backbone;
        private List<Duration> followUps = List.of();

        private Builder() {
        }

        /**
         * The budget: at most {@code maxPolls} polls in any {@code window} (the budget of a fixed poller
         * of {@code window / maxPolls}).
         */
        public Builder budget(int maxPolls, Duration window) {
            if (maxPolls < 1) {
                throw new IllegalArgumentException("maxPolls must be >= 1, got " + maxPolls);
            }
            Objects.requireNonNull(window, "window");
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("window must be > 0, got " + window);
            }
            this.maxPolls = maxPolls;
            this.window = window;
            return this;
        }

        /**
         * The backbone's intervals, repeated in order from the first poll: one interval for a fixed
         * rhythm, two for an alternating one (e.g. 4 s, 2 s). Together with the follow-ups it must fit
         * the budget: it must leave at least one poll per window for them if there are any.
         */
        public Builder backbone(Duration... intervals) {
            Objects.requireNonNull(intervals, "intervals");
            if (intervals.length == 0) {
                throw new IllegalArgumentException("the backbone needs at least one interval");
            }
            for (Duration d : intervals) {
                Objects.requireNonNull(d, "backbone interval");
                if (d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("backbone intervals must be > 0, got " + d);
                }
            }
            this.backbone = List.of(intervals);
            return this;
        }

        /**
         * A fixed backbone of {@code polls} evenly spaced polls per window of the budget: the interval
         * {@code window / polls} (rounded up to the nanosecond). Call {@link #budget(int, Duration)} first.
         */
        public Builder backbonePolls(int polls) {
            if (window == null) {
                throw new IllegalStateException("set the budget first: budget(maxPolls, window)");
            }
            if (polls < 1 || polls > maxPolls) {
                throw new IllegalArgumentException("backbone polls per window must be in 1.." + maxPolls
                        + " (the budget), got " + polls);
            }
            long nanos = window.toNanos();
            return backbone(Duration.ofNanos(nanos / polls + (nanos % polls == 0 ? 0 : 1)));
        }

        /**
         * The delays of the follow-up polls after a poll that found work, increasing (default none:
         * the backbone alone). Each must be shorter than the longest backbone interval.
         */
        public Builder followUps(Duration... delays) {
            Objects.requireNonNull(delays, "delays");
            Duration previous = Duration.ZERO;
            for (Duration d : delays) {
                Objects.requireNonNull(d, "follow-up delay");
                if (d.compareTo(previous) <= 0) {
                    throw new IllegalArgumentException(previous.isZero()
                            ? "follow-up delays must be > 0, got " + d
                            : "follow-up delays must increase, got " + d + " after " + previous);
                }
                previous = d;
            }
            this.followUps = List.of(delays);
            return this;
        }

        /**
         * Builds the poller.
         *
         * @throws IllegalStateException    if the budget or the backbone is missing
         * @throws IllegalArgumentException if the backbone alone exceeds the budget, leaves nothing of it
         *                                  for the follow-ups, or a follow-up delay is not shorter than the
         *                                  longest backbone interval
         */
        public AdaptivePoller build() {
            if (window == null) {
                throw new IllegalStateException("the budget is required: budget(maxPolls, window)");
            }
            if (backbone == null) {
                throw new IllegalStateException("the backbone is required: backbone(interval...)");
            }
            Duration longest = backbone.stream().max(Duration::compareTo).orElseThrow();
            for (Duration d : followUps) {
                if (d.compareTo(longest) >= 0) {
                    throw new IllegalArgumentException("follow-up delay " + d + " is not shorter than the longest "
                            + "backbone interval " + longest + ": the backbone poll would come first");
                }
            }
            long[] offsets = new long[backbone.size()];
            long cycle = 0;
            for (int i = 0; i < offsets.length; i++) {
                offsets[i] = cycle;
                cycle = Math.addExact(cycle, backbone.get(i).toNanos());
            }
            int perWindow = backbonePerWindow(offsets, cycle, window.toNanos(), maxPolls);
            if (perWindow > maxPolls) {
                throw new IllegalArgumentException("the backbone " + backbone + " polls more than " + maxPolls
                        + " times in a window of " + window + ": it exceeds the budget (use longer intervals)");
            }
            if (!followUps.isEmpty() && perWindow == maxPolls) {
                throw new IllegalArgumentException("the backbone " + backbone + " polls " + perWindow
                        + " times in a window of " + window + ", the whole budget of " + maxPolls
                        + ": nothing is left for follow-ups (use longer intervals)");
            }
            return new AdaptivePoller(this);
        }
    }
}
