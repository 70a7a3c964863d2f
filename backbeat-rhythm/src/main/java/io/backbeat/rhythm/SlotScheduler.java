package io.backbeat.rhythm;

import io.backbeat.api.Timeline;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Slotted competing consumers: N clones poll a shared resource at most once per {@code separation}
 * between them, interleaved evenly and without drift, whatever each poll's work took.
 *
 * <p>Clone {@code i} of {@code n} owns the instants {@code epoch + offset + i * separation + k * n *
 * separation} (any integer {@code k}), counted from the Unix epoch. After its work it sleeps until its
 * next own slot (a poll whose work overran skips the slots it missed instead of polling off-slot),
 * so two clones never poll closer than {@code separation} apart (up to their clocks' disagreement)
 * and the resource sees exactly one poll per separation.
 *
 * <p>The origin is the epoch, not the beat grid: a tempo change moves the grid's anchor (the
 * timeline descriptor is re-anchored at the change's downbeat), so an origin taken from the grid
 * differs between clones that fetched the descriptor before and after a change. The epoch is the
 * same for every clone after any number of tempo changes. Pure; thread-safe.
 *
 * <pre>{@code
 * SlotScheduler slots = SlotScheduler.builder(Duration.ofMillis(250))
 *         .clones(4).index(2)
 *         .groupOffset(Duration.ofMillis(40))
 *         .build();
 * Instant next = slots.nextPollAt(Instant.now());
 * }</pre>
 */
public final class SlotScheduler {
    private final long separationNanos;
    private final int clones;
    private final int index;
    private final long offsetNanos;

    private SlotScheduler(long separationNanos, int clones, int index, long offsetNanos) {
        if (separationNanos <= 0) {
            throw new IllegalArgumentException("separation must be > 0, got " + Duration.ofNanos(separationNanos));
        }
        if (clones < 1) {
            throw new IllegalArgumentException("clones must be >= 1, got " + clones);
        }
        if (index < 0 || index >= clones) {
            throw new IllegalArgumentException("index must be in 0.." + (clones - 1) + ", got " + index);
        }
        if (separationNanos > Long.MAX_VALUE / clones) {
            throw new IllegalArgumentException("the period " + clones + " x " + Duration.ofNanos(separationNanos)
                    + " is too long");
        }
        this.separationNanos = separationNanos;
        this.clones = clones;
        this.index = index;
        this.offsetNanos = offsetNanos;
    }

    /**
     * @param separation  desired time between any two polls at the resource
     * @param clones      number of clones sharing the resource
     * @param index       this clone's index, 0 .. clones-1
     * @param groupOffset shift of this group's slots, so that groups polling other resources don't align
     * @param grid        ignored: slots are counted from the Unix epoch (see the class comment)
     * @deprecated use {@link #builder(Duration)}; the grid no longer moves the slots
     */
    @Deprecated
    public SlotScheduler(Duration separation, int clones, int index, Duration groupOffset, Timeline grid) {
        this(Objects.requireNonNull(separation, "separation").toNanos(), clones, index,
                Objects.requireNonNull(groupOffset, "groupOffset").toNanos());
    }

    /** A builder for clones polling at most once per {@code separation} between them (one clone, index 0, no offset). */
    public static Builder builder(Duration separation) {
        return new Builder(separation);
    }

    /** The time between two polls at the resource. */
    public Duration separation() {
        return Duration.ofNanos(separationNanos);
    }

    /** The number of clones sharing the resource. */
    public int clones() {
        return clones;
    }

    /** This clone's index, 0 .. clones-1. */
    public int index() {
        return index;
    }

    /** The shift of this group's slots. */
    public Duration groupOffset() {
        return Duration.ofNanos(offsetNanos);
    }

    /** The period between two polls of this clone: {@code clones * separation}. */
    public Duration period() {
        return Duration.ofNanos(separationNanos * clones);
    }

    /** A scheduler for another membership (after a join or leave re-slots everyone). */
    public SlotScheduler reslot(int newClones, int newIndex) {
        return new SlotScheduler(separationNanos, newClones, newIndex, offsetNanos);
    }

    /** This clone's next poll instant at or after {@code nowEpochNanos} (epoch nanoseconds). */
    public long nextPollAt(long nowEpochNanos) {
        long period = separationNanos * clones;
        long origin = Math.floorMod(offsetNanos + index * separationNanos, period);
        long k = Math.floorDiv(nowEpochNanos - origin, period);
        long slot = origin + k * period;
        return slot < nowEpochNanos ? slot + period : slot;
    }

    /** This clone's next poll instant at or after {@code now}. */
    public Instant nextPollAt(Instant now) {
        long next = nextPollAt(toEpochNanos(now));
        return Instant.ofEpochSecond(Math.floorDiv(next, 1_000_000_000L), Math.floorMod(next, 1_000_000_000L));
    }

    /** How long from {@code now} until this clone's next poll ({@link Duration#ZERO} when {@code now} is a slot). */
    public Duration untilNextPoll(Instant now) {
        long t = toEpochNanos(now);
        return Duration.ofNanos(nextPollAt(t) - t);
    }

    private static long toEpochNanos(Instant t) {
        Objects.requireNonNull(t, "now");
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    @Override
    public String toString() {
        return "SlotScheduler[clone " + index + " of " + clones + ", separation " + separation() + ", offset "
                + groupOffset() + "]";
    }

    /** Builder for {@link SlotScheduler}. Not thread-safe. */
    public static final class Builder {
        private final Duration separation;
        private int clones = 1;
        private int index;
        private Duration groupOffset = Duration.ZERO;
        private String instanceId;

        private Builder(Duration separation) {
            Objects.requireNonNull(separation, "separation");
            if (separation.isNegative() || separation.isZero()) {
                throw new IllegalArgumentException("separation must be > 0, got " + separation);
            }
            this.separation = separation;
        }

        /** Number of clones sharing the resource (default 1). */
        public Builder clones(int clones) {
            if (clones < 1) {
                throw new IllegalArgumentException("clones must be >= 1, got " + clones);
            }
            this.clones = clones;
            return this;
        }

        /** This clone's index, 0 .. clones-1 (default 0), e.g. from a membership view. */
        public Builder index(int index) {
            this.index = index;
            this.instanceId = null;
            return this;
        }

        /**
         * The index from the instance id, {@link HashSlot#of(String, int) HashSlot.of(instanceId, clones)},
         * for clones without a membership protocol.
         */
        public Builder hashedIndex(String instanceId) {
            this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
            return this;
        }

        /** Shift of this group's slots (default zero), so groups polling other resources don't align. */
        public Builder groupOffset(Duration offset) {
            this.groupOffset = Objects.requireNonNull(offset, "offset");
            return this;
        }

        /**
         * Builds the scheduler.
         *
         * @throws IllegalArgumentException if the index is not in 0 .. clones-1
         */
        public SlotScheduler build() {
            int i = instanceId != null ? HashSlot.of(instanceId, clones) : index;
            return new SlotScheduler(separation.toNanos(), clones, i, groupOffset.toNanos());
        }
    }
}
