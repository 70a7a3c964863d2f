package io.backbeat.rhythm;

import io.backbeat.api.Timeline;

import java.time.Duration;

/**
 * Slotted competing consumers: N clones poll a shared resource at most once per {@code separation}
 * between them, interleaved evenly and without drift, whatever each poll's work took.
 *
 * <p>Clone {@code i} of {@code n} owns the instants {@code origin + offset + i * separation + k * n *
 * separation}. After its work it sleeps until its next own slot (a poll whose work overran skips the
 * slots it missed instead of polling off-slot), so two clones never poll closer than
 * {@code separation} apart (up to their clocks' disagreement) and the resource sees exactly one poll
 * per separation. The origin is the first downbeat of the beat grid when a {@link Timeline} is
 * given — every clone derives the same one — and the Unix epoch otherwise. Pure; thread-safe.
 */
public final class SlotScheduler {
    private final long separationNanos;
    private final int clones;
    private final int index;
    private final long offsetNanos;
    private final Timeline grid;

    /**
     * @param separation desired time between any two polls at the resource
     * @param clones     number of clones sharing the resource
     * @param index      this clone's index, 0 .. clones-1
     * @param groupOffset shift of this group's slots, so that groups polling other resources don't align
     * @param grid       the beat grid to align to, or {@code null} for wall time
     */
    public SlotScheduler(Duration separation, int clones, int index, Duration groupOffset, Timeline grid) {
        if (separation.isNegative() || separation.isZero()) {
            throw new IllegalArgumentException("separation must be > 0, got " + separation);
        }
        if (clones < 1) {
            throw new IllegalArgumentException("clones must be >= 1, got " + clones);
        }
        if (index < 0 || index >= clones) {
            throw new IllegalArgumentException("index must be in 0.." + (clones - 1) + ", got " + index);
        }
        this.separationNanos = separation.toNanos();
        this.clones = clones;
        this.index = index;
        this.offsetNanos = groupOffset.toNanos();
        this.grid = grid;
    }

    /** The period between two polls of this clone: {@code clones * separation}. */
    public Duration period() {
        return Duration.ofNanos(separationNanos * clones);
    }

    /** A scheduler for another membership (after a join or leave re-slots everyone). */
    public SlotScheduler reslot(int newClones, int newIndex) {
        return new SlotScheduler(Duration.ofNanos(separationNanos), newClones, newIndex, Duration.ofNanos(offsetNanos),
                grid);
    }

    /** This clone's next poll instant at or after {@code nowEpochNanos} (epoch nanoseconds). */
    public long nextPollAt(long nowEpochNanos) {
        long period = separationNanos * clones;
        long origin = origin() + offsetNanos + index * separationNanos;
        long k = Math.floorDiv(nowEpochNanos - origin + period - 1, period);
        return origin + k * period;
    }

    private long origin() {
        if (grid == null) {
            return 0;
        }
        long anchorBeat = grid.descriptor().anchorBeatIndex();
        return grid.beatStartNanos(grid.downbeatOf(anchorBeat));
    }
}
