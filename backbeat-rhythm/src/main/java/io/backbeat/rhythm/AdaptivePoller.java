package io.backbeat.rhythm;

import java.time.Duration;
import java.util.ArrayDeque;

/**
 * A work-driven heartbeat: instead of one fixed sleep,
 * it alternates a long and a short interval while the queue is idle, polls again after
 * {@code busyInterval} while polls find work (work tends to create more work; 0 keeps the
 * alternation), and never exceeds
 * {@code maxPolls} per {@code window} — the same budget as a fixed poller of
 * {@code window / maxPolls}. Pure (time is passed in); not thread-safe (one poller, one thread).
 */
public final class AdaptivePoller {
    private final long longNanos;
    private final long shortNanos;
    private final long busyNanos;
    private final int maxPolls;
    private final long windowNanos;
    private final ArrayDeque<Long> recent = new ArrayDeque<>();
    private boolean nextIsLong = true;

    public AdaptivePoller(Duration longInterval, Duration shortInterval, Duration busyInterval, int maxPolls,
                          Duration window) {
        if (maxPolls < 1) {
            throw new IllegalArgumentException("maxPolls must be >= 1, got " + maxPolls);
        }
        this.longNanos = positive(longInterval, "long interval");
        this.shortNanos = positive(shortInterval, "short interval");
        if (busyInterval.isNegative()) {
            throw new IllegalArgumentException("busy interval must be >= 0 (0 = no speed-up), got " + busyInterval);
        }
        this.busyNanos = busyInterval.toNanos();
        this.maxPolls = maxPolls;
        this.windowNanos = positive(window, "window");
    }

    /**
     * The classic rhythm: 4 s / 2 s alternating (the budget of a 3 s fixed poller, 20 polls a minute),
     * speeding up to 0.5 s while polls find work.
     */
    public static AdaptivePoller classicDefaults() {
        return new AdaptivePoller(Duration.ofSeconds(4), Duration.ofSeconds(2), Duration.ofMillis(500), 20,
                Duration.ofMinutes(1));
    }

    /**
     * Records a poll at {@code nowNanos} that found work or not, and returns when to poll next.
     */
    public long polled(long nowNanos, boolean foundWork) {
        recent.addLast(nowNanos);
        while (!recent.isEmpty() && recent.peekFirst() <= nowNanos - windowNanos) {
            recent.pollFirst();
        }
        long next;
        if (foundWork && busyNanos > 0) {
            next = nowNanos + busyNanos;
        } else {
            next = nowNanos + (nextIsLong ? longNanos : shortNanos);
            nextIsLong = !nextIsLong;
        }
        if (recent.size() >= maxPolls) {
            // the budget: the next poll waits until the oldest in the window leaves it
            next = Math.max(next, recent.peekFirst() + windowNanos);
        }
        return next;
    }

    private static long positive(Duration d, String what) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be > 0, got " + d);
        }
        return d.toNanos();
    }
}
