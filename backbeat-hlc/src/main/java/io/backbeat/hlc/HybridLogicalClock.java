package io.backbeat.hlc;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A lock-free hybrid logical clock (Kulkarni et al., 2014).
 *
 * <p>State is a single {@code long} (48-bit wall ms, 16-bit logical) updated by compare-and-set, so
 * {@link #now()} and {@link #update} are safe from any number of threads and every returned value is
 * unique and strictly greater than every value returned before it.
 * <ul>
 *   <li>{@code now()}: {@code l' = max(l, pt)}; {@code c' = l' == l ? c + 1 : 0}.</li>
 *   <li>{@code update(m)}: {@code l' = max(l, m.l, pt)}; {@code c'} from the paper's cases.</li>
 *   <li>A physical clock that jumps backwards never makes the clock go backwards.</li>
 *   <li>The logical counter never wraps: at 0xffff the wall part advances by one millisecond.</li>
 *   <li>A remote timestamp more than {@code maxOffset} ahead of the physical clock is rejected:
 *       the clock is not advanced, the rejection is counted ({@link #rejectedCount()}) and
 *       {@link #update} throws {@link HlcOffsetException} ({@link #tryUpdate} returns {@code false}).</li>
 * </ul>
 */
public final class HybridLogicalClock {
    private final AtomicLong state;
    private final AtomicLong rejected = new AtomicLong();
    private final LongSupplier physicalMs;
    private final long maxOffsetMs;
    private final int suffix;
    private final String nodeId;

    private HybridLogicalClock(Builder b) {
        this.nodeId = b.nodeId;
        this.suffix = HlcTimestamp.suffixOf(b.nodeId);
        this.physicalMs = b.physicalMs;
        this.maxOffsetMs = b.maxOffset.toMillis();
        this.state = new AtomicLong(HlcTimestamp.pack(b.initialWallMs, b.initialLogical));
    }

    /** A builder; only the node id is required. */
    public static Builder builder(String nodeId) {
        return new Builder(nodeId);
    }

    /** A clock on the system clock with the default 500 ms max offset. */
    public static HybridLogicalClock create(String nodeId) {
        return builder(nodeId).build();
    }

    /** The node id this clock stamps. */
    public String nodeId() {
        return nodeId;
    }

    /** This node's suffix. */
    public int suffix() {
        return suffix;
    }

    /** The largest accepted remote lead over the physical clock. */
    public Duration maxOffset() {
        return Duration.ofMillis(maxOffsetMs);
    }

    /** Remote timestamps rejected for being too far ahead. */
    public long rejectedCount() {
        return rejected.get();
    }

    /** The last value issued or merged, without advancing the clock. */
    public HlcTimestamp peek() {
        return HlcTimestamp.unpack(state.get(), suffix);
    }

    /** A new timestamp for a local or send event. */
    public HlcTimestamp now() {
        return HlcTimestamp.unpack(nowPacked(), suffix);
    }

    /** {@link #now()} in the packed 64-bit form (48-bit ms, 16-bit logical), without allocation. */
    public long nowPacked() {
        long pt = physical();
        while (true) {
            long cur = state.get();
            long l = cur >>> 16;
            int c = (int) (cur & 0xffff);
            long next = pt > l ? HlcTimestamp.pack(pt, 0) : increment(l, c);
            if (state.compareAndSet(cur, next)) {
                return next;
            }
        }
    }

    /**
     * Merges a received timestamp and returns the new local timestamp (greater than both the
     * previous local value and {@code remote}).
     *
     * @throws HlcOffsetException when {@code remote} is more than {@link #maxOffset()} ahead of the
     *                            physical clock; the clock is then unchanged
     */
    public HlcTimestamp update(HlcTimestamp remote) {
        long pt = physical();
        long ahead = remote.wallMs() - pt;
        if (ahead > maxOffsetMs) {
            rejected.incrementAndGet();
            throw new HlcOffsetException("remote HLC " + remote + " is " + ahead + " ms ahead of the local clock"
                    + " (max offset " + maxOffsetMs + " ms); not merged", ahead);
        }
        return HlcTimestamp.unpack(merge(remote.wallMs(), remote.logical(), pt), suffix);
    }

    /** Like {@link #update} but returns {@code false} (and counts) instead of throwing on a rejected timestamp. */
    public boolean tryUpdate(HlcTimestamp remote) {
        long pt = physical();
        if (remote.wallMs() - pt > maxOffsetMs) {
            rejected.incrementAndGet();
            return false;
        }
        merge(remote.wallMs(), remote.logical(), pt);
        return true;
    }

    private long merge(long lm, int cm, long pt) {
        while (true) {
            long cur = state.get();
            long l = cur >>> 16;
            int c = (int) (cur & 0xffff);
            long lNew = Math.max(Math.max(l, lm), pt);
            long next;
            if (lNew == l && lNew == lm) {
                next = increment(l, Math.max(c, cm));
            } else if (lNew == l) {
                next = increment(l, c);
            } else if (lNew == lm) {
                next = increment(lm, cm);
            } else {
                next = HlcTimestamp.pack(pt, 0);
            }
            if (state.compareAndSet(cur, next)) {
                return next;
            }
        }
    }

    /** (wall, logical + 1), carrying into the wall part instead of wrapping. */
    private static long increment(long wall, int logical) {
        if (logical >= HlcTimestamp.MAX_LOGICAL) {
            if (wall >= HlcTimestamp.MAX_WALL_MS) {
                throw new IllegalStateException("HLC exhausted its 48-bit wall time");
            }
            return HlcTimestamp.pack(wall + 1, 0);
        }
        return HlcTimestamp.pack(wall, logical + 1);
    }

    private long physical() {
        long pt = physicalMs.getAsLong();
        return Math.max(0, Math.min(pt, HlcTimestamp.MAX_WALL_MS));
    }

    /** Builder for {@link HybridLogicalClock}. */
    public static final class Builder {
        private final String nodeId;
        private LongSupplier physicalMs = System::currentTimeMillis;
        private Duration maxOffset = Duration.ofMillis(500);
        private long initialWallMs;
        private int initialLogical;

        private Builder(String nodeId) {
            this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        }

        /** The physical clock in epoch milliseconds (default {@code System::currentTimeMillis}). */
        public Builder physicalClock(LongSupplier epochMillis) {
            this.physicalMs = Objects.requireNonNull(epochMillis, "physical clock");
            return this;
        }

        /** Largest accepted lead of a remote timestamp over the physical clock (default 500 ms). */
        public Builder maxOffset(Duration maxOffset) {
            if (maxOffset.isNegative()) {
                throw new IllegalArgumentException("max offset must be >= 0, got " + maxOffset);
            }
            this.maxOffset = maxOffset;
            return this;
        }

        /** Starting state (for tests and vectors); default 0:0. */
        public Builder initialState(long wallMs, int logical) {
            new HlcTimestamp(wallMs, logical, 0);
            this.initialWallMs = wallMs;
            this.initialLogical = logical;
            return this;
        }

        public HybridLogicalClock build() {
            return new HybridLogicalClock(this);
        }
    }
}
