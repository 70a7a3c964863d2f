package io.backbeat.rhythm;

import java.time.Duration;
import java.util.ArrayDeque;

/**
 * The work-driven heartbeat as it was before issue #14 (item 6), kept verbatim for comparison: a long
 * and a short interval alternating while idle, {@code busy} after every poll that found work, and a
 * sliding-window cap that makes the next poll wait for the oldest of the window to leave it.
 */
final class PreviousAdaptivePoller {
    private final long longNanos;
    private final long shortNanos;
    private final long busyNanos;
    private final int maxPolls;
    private final long windowNanos;
    private final ArrayDeque<Long> recent = new ArrayDeque<>();
    private boolean nextIsLong = true;

    PreviousAdaptivePoller(Duration longInterval, Duration shortInterval, Duration busyInterval, int maxPolls,
                           Duration window) {
        this.longNanos = longInterval.toNanos();
        this.shortNanos = shortInterval.toNanos();
        this.busyNanos = busyInterval.toNanos();
        this.maxPolls = maxPolls;
        this.windowNanos = window.toNanos();
    }

    long polled(long nowNanos, boolean foundWork) {
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
            next = Math.max(next, recent.peekFirst() + windowNanos);
        }
        return next;
    }
}
