package io.backbeat.client.internal;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.GridPosition;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.api.codec.CodecException;
import io.backbeat.client.DropReason;
import io.backbeat.hlc.HlcTimestamp;
import io.backbeat.hlc.HybridLogicalClock;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Validates received frames: decodes, checks cluster, fencing term, HLC offset, expiry, phases not
 * started yet and duplicates, merges the HLC of accepted frames, and counts every drop by reason.
 * Pure apart from the HLC it merges into; not thread-safe (the client calls it under its lock).
 *
 * <p>The fence is the highest <em>confirmed</em> term: a frame with a higher term is accepted
 * (when it passes every other check) and reported as {@code newTerm}, but the fence moves only
 * when the replicated timeline confirms that term ({@link #confirmTerm}). So one forged frame with a
 * huge term cannot lock the client out of the real leader's frames.
 */
public final class FrameGate {
    /** Outcome of {@link #accept}: the frame, or the reason it was dropped. */
    public record Verdict(BeatFrame frame, DropReason dropped, boolean newTerm) {
        public boolean accepted() {
            return frame != null;
        }
    }

    private final String clusterId;
    private final HybridLogicalClock hlc;
    private final Map<DropReason, LongAdder> drops = new EnumMap<>(DropReason.class);
    /** A frame whose phase starts more than this after "now" is {@link DropReason#EARLY}. */
    public static final long EARLY_TOLERANCE_NANOS = 100_000_000L;
    private long highestTerm = -1;
    private long lastBeat = Long.MIN_VALUE;
    private int lastPhase = -1;

    public FrameGate(String clusterId, HybridLogicalClock hlc) {
        this.clusterId = clusterId;
        this.hlc = hlc;
        for (DropReason r : DropReason.values()) {
            drops.put(r, new LongAdder());
        }
    }

    /**
     * Judges one payload received at wall time {@code nowEpochNanos}. {@code phaseIndexHint}
     * resolves a frame's phase to its index when the frame carries no phase list (-1 = unknown).
     */
    public Verdict accept(byte[] payload, long nowEpochNanos, io.backbeat.api.Timeline grid) {
        BeatFrame f;
        try {
            f = BackbeatCodec.decodeFrame(payload);
        } catch (CodecException e) {
            return drop(DropReason.MALFORMED);
        }
        if (!clusterId.equals(f.clusterId())) {
            return drop(DropReason.WRONG_CLUSTER);
        }
        if (f.term() < highestTerm) {
            return drop(DropReason.STALE_TERM);
        }
        HlcTimestamp ts;
        try {
            ts = HlcTimestamp.parse(f.hlc());
        } catch (IllegalArgumentException e) {
            return drop(DropReason.MALFORMED);
        }
        long deadline;
        try {
            deadline = EpochNanos.of(f.deadlineAt());
        } catch (ArithmeticException e) {
            return drop(DropReason.MALFORMED);
        }
        // producers write ms precision (truncated): allow the lost millisecond
        if (deadline + 1_000_000 <= nowEpochNanos) {
            return drop(DropReason.EXPIRED);
        }
        int phaseIndex = f.phases().isEmpty() ? (grid == null ? -1 : grid.phaseIndexOf(f.phase())) : f.phaseIndex();
        if (phaseIndex < 0) {
            return drop(grid == null ? DropReason.MALFORMED : DropReason.OFF_GRID);
        }
        if (grid != null && !onGrid(f, phaseIndex, deadline, grid)) {
            return drop(DropReason.OFF_GRID);
        }
        if (grid != null && grid.phaseStartNanos(f.beatIndex(), phaseIndex) - nowEpochNanos > EARLY_TOLERANCE_NANOS) {
            return drop(DropReason.EARLY);
        }
        // merging is the only side effect; a duplicate that passes merges an HLC within the max offset,
        // no more than a new frame would
        if (!hlc.tryUpdate(ts)) {
            return drop(DropReason.HLC_OFFSET);
        }
        if (GridPosition.compare(f.beatIndex(), phaseIndex, lastBeat, lastPhase) <= 0) {
            return drop(DropReason.DUPLICATE);
        }
        boolean newTerm = f.term() > highestTerm; // the fence moves only by confirmTerm
        lastBeat = f.beatIndex();
        lastPhase = phaseIndex;
        return new Verdict(f, null, newTerm);
    }

    /**
     * The frame's beat, phase, deadline and tempo agree with the grid. The deadline agrees when it
     * lies within one millisecond of the grid's: producers write milliseconds (truncated), but the
     * protocol lets readers accept any RFC 3339 precision, so a frame written to the nanosecond (or
     * rounded to the millisecond) must pass too.
     */
    static boolean onGrid(BeatFrame f, int phaseIndex, long deadlineNanos, io.backbeat.api.Timeline grid) {
        try {
            if (phaseIndex >= grid.phases().size() || !grid.phases().get(phaseIndex).equals(f.phase())) {
                return false;
            }
            long gridDeadline = grid.deadlineNanos(f.beatIndex(), phaseIndex);
            return Math.abs(deadlineNanos - gridDeadline) < 1_000_000L
                    && Double.compare(grid.tempoBpmOf(f.beatIndex()), f.tempoBpm()) == 0;
        } catch (ArithmeticException e) {
            return false;
        }
    }

    private Verdict drop(DropReason r) {
        drops.get(r).increment();
        return new Verdict(null, r, false);
    }

    /** Drops so far, by reason. */
    public Map<DropReason, Long> drops() {
        Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
        drops.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** The fence: the highest term the timeline has confirmed, -1 before any. */
    public long highestTerm() {
        return highestTerm;
    }

    /** Raises the fence to {@code term}, confirmed by the replicated timeline. Returns whether it rose. */
    public boolean confirmTerm(long term) {
        if (term > highestTerm) {
            highestTerm = term;
            return true;
        }
        return false;
    }

    /** Index of the last accepted phase, or -1. */
    public int lastPhase() {
        return lastPhase;
    }
}
