package io.backbeat.api;

import java.util.List;

/**
 * The beat grid as a pure function of a {@link TimelineDescriptor}. Exact to the nanosecond:
 * <ul>
 *   <li>{@code beat_ns = Math.round(60e9 / tempo_bpm)}</li>
 *   <li>beat {@code k} starts at {@code anchor_time + (k - anchor_beat) * beat_ns}</li>
 *   <li>phase {@code p} of {@code P} starts {@code floor(p * beat_ns / P)} after its beat; its deadline is the next phase's start</li>
 *   <li>the beat at time {@code t} is {@code anchor_beat + floorDiv(t - anchor_time, beat_ns)}</li>
 * </ul>
 * A pending tempo change is part of the grid: from its downbeat on, the new tempo is anchored at
 * that downbeat's start. Instants before the anchor give negative offsets (and possibly negative
 * beat indexes). Any result outside the range of a {@code long} raises a
 * {@link TimelineOverflowException}; nothing wraps.
 *
 * <p>Immutable and thread-safe; no clock is read here.
 */
public final class Timeline {
    private final TimelineDescriptor descriptor;
    private final Segment current;
    private final Segment next; // the pending tempo, or null

    private Timeline(TimelineDescriptor d) {
        this.descriptor = d;
        this.current = new Segment(d.anchorTimeNanos(), d.anchorBeatIndex(), d.tempoBpm(), d.phases(), d.beatsPerBar());
        if (d.pending() == null) {
            this.next = null;
        } else {
            long at = current.beatStart(d.pending().atBeatIndex());
            this.next = new Segment(at, d.pending().atBeatIndex(), d.pending().tempoBpm(), d.phases(), d.beatsPerBar());
        }
    }

    /** The grid of a descriptor. */
    public static Timeline of(TimelineDescriptor descriptor) {
        return new Timeline(descriptor);
    }

    /** The descriptor this grid was built from. */
    public TimelineDescriptor descriptor() {
        return descriptor;
    }

    /** Phase names in order. */
    public List<String> phases() {
        return descriptor.phases();
    }

    /** Beats per bar. */
    public int beatsPerBar() {
        return descriptor.beatsPerBar();
    }

    private Segment segmentAtTime(long t) {
        return next != null && t >= next.anchorTime ? next : current;
    }

    private Segment segmentOfBeat(long beat) {
        return next != null && beat >= next.anchorBeat ? next : current;
    }

    /** The beat in progress at {@code epochNanos}. */
    public long beatIndexAt(long epochNanos) {
        return segmentAtTime(epochNanos).beatIndexAt(epochNanos);
    }

    /** Beat, phase, phase start and deadline at {@code epochNanos}. */
    public GridPosition positionAt(long epochNanos) {
        Segment s = segmentAtTime(epochNanos);
        long beat = s.beatIndexAt(epochNanos);
        long start = s.beatStart(beat);
        long within = epochNanos - start; // 0 <= within < beatNs, cannot overflow: both in range and close
        int p = s.phaseIndexWithin(within);
        return s.position(beat, p, start);
    }

    /** The position of phase {@code phaseIndex} of beat {@code beatIndex}. */
    public GridPosition position(long beatIndex, int phaseIndex) {
        Segment s = segmentOfBeat(beatIndex);
        checkPhase(phaseIndex);
        return s.position(beatIndex, phaseIndex, s.beatStart(beatIndex));
    }

    /** The first phase that starts strictly after {@code epochNanos}. */
    public GridPosition nextPhaseAfter(long epochNanos) {
        GridPosition now = positionAt(epochNanos);
        return following(now);
    }

    /** The (beat, phase) after {@code pos}. */
    public GridPosition following(GridPosition pos) {
        if (pos.phaseIndex() + 1 < descriptor.phases().size()) {
            return position(pos.beatIndex(), pos.phaseIndex() + 1);
        }
        return position(Math.addExact(pos.beatIndex(), 1), 0);
    }

    /** Start of beat {@code beatIndex}, epoch nanoseconds. */
    public long beatStartNanos(long beatIndex) {
        return segmentOfBeat(beatIndex).beatStart(beatIndex);
    }

    /** Start of phase {@code phaseIndex} of beat {@code beatIndex}, epoch nanoseconds. */
    public long phaseStartNanos(long beatIndex, int phaseIndex) {
        checkPhase(phaseIndex);
        Segment s = segmentOfBeat(beatIndex);
        return s.addChecked(s.beatStart(beatIndex), s.offsets[phaseIndex]);
    }

    /** Deadline (end) of phase {@code phaseIndex} of beat {@code beatIndex}. */
    public long deadlineNanos(long beatIndex, int phaseIndex) {
        checkPhase(phaseIndex);
        Segment s = segmentOfBeat(beatIndex);
        return s.addChecked(s.beatStart(beatIndex), s.offsets[phaseIndex + 1]);
    }

    /** Beat length in nanoseconds of beat {@code beatIndex}. */
    public long beatNanos(long beatIndex) {
        return segmentOfBeat(beatIndex).beatNs;
    }

    /** Tempo of beat {@code beatIndex}. */
    public double tempoBpmOf(long beatIndex) {
        return segmentOfBeat(beatIndex).tempoBpm;
    }

    /** {@code true} when {@code beatIndex} starts a bar. */
    public boolean isDownbeat(long beatIndex) {
        return Math.floorMod(beatIndex, descriptor.beatsPerBar()) == 0;
    }

    /** The downbeat that starts the bar containing {@code beatIndex}. */
    public long downbeatOf(long beatIndex) {
        return downbeatOf(beatIndex, descriptor.beatsPerBar());
    }

    /** The downbeat that starts the bar containing {@code beatIndex}, for a given bar length. */
    public static long downbeatOf(long beatIndex, int beatsPerBar) {
        return beatIndex - Math.floorMod(beatIndex, beatsPerBar);
    }

    /** The first downbeat whose start is strictly after {@code epochNanos}. */
    public long nextDownbeatAfter(long epochNanos) {
        long beat = beatIndexAt(epochNanos);
        long db = downbeatOf(beat);
        long candidate = Math.addExact(db, descriptor.beatsPerBar());
        // the current bar's downbeat has started already (db <= beat), so the next one is candidate
        return candidate;
    }

    /** Index of a phase name, or -1. */
    public int phaseIndexOf(String phase) {
        return descriptor.phases().indexOf(phase);
    }

    private void checkPhase(int phaseIndex) {
        if (phaseIndex < 0 || phaseIndex >= descriptor.phases().size()) {
            throw new IllegalArgumentException("phase index " + phaseIndex + " out of range 0.."
                    + (descriptor.phases().size() - 1));
        }
    }

    @Override
    public String toString() {
        return "Timeline" + descriptor;
    }

    /** One constant-tempo stretch of the grid. */
    private static final class Segment {
        final long anchorTime;
        final long anchorBeat;
        final long beatNs;
        final double tempoBpm;
        final long[] offsets; // offsets[p] = floor(p * beatNs / P), offsets[P] = beatNs
        final String[] names;
        final int beatsPerBar;

        Segment(long anchorTime, long anchorBeat, double tempoBpm, List<String> phases, int beatsPerBar) {
            this.anchorTime = anchorTime;
            this.anchorBeat = anchorBeat;
            this.tempoBpm = tempoBpm;
            this.beatNs = Tempo.beatNanos(tempoBpm);
            this.beatsPerBar = beatsPerBar;
            int n = phases.size();
            this.names = phases.toArray(new String[0]);
            this.offsets = new long[n + 1];
            long q = beatNs / n;
            long r = beatNs % n;
            for (int p = 0; p <= n; p++) {
                // floor(p*beatNs/n) without overflowing p*beatNs
                offsets[p] = q * p + (r * p) / n;
            }
        }

        long beatIndexAt(long t) {
            long delta;
            try {
                delta = Math.subtractExact(t, anchorTime);
                return Math.addExact(anchorBeat, Math.floorDiv(delta, beatNs));
            } catch (ArithmeticException e) {
                throw new TimelineOverflowException("beat index at " + t + " ns is outside the range of a long "
                        + "(anchor " + anchorTime + " ns, beat " + anchorBeat + ")");
            }
        }

        long beatStart(long beat) {
            try {
                return Math.addExact(anchorTime, Math.multiplyExact(Math.subtractExact(beat, anchorBeat), beatNs));
            } catch (ArithmeticException e) {
                throw new TimelineOverflowException("start of beat " + beat + " is outside the range of a long of "
                        + "epoch nanoseconds (beat length " + beatNs + " ns, anchor beat " + anchorBeat + ")");
            }
        }

        long addChecked(long a, long b) {
            try {
                return Math.addExact(a, b);
            } catch (ArithmeticException e) {
                throw new TimelineOverflowException("phase instant " + a + " + " + b
                        + " ns is outside the range of a long");
            }
        }

        int phaseIndexWithin(long within) {
            int p = names.length - 1;
            while (offsets[p] > within) {
                p--;
            }
            return p;
        }

        GridPosition position(long beat, int p, long beatStart) {
            long start = addChecked(beatStart, offsets[p]);
            long deadline = addChecked(beatStart, offsets[p + 1]);
            return new GridPosition(beat, p, names[p], start, deadline, Math.floorMod(beat, beatsPerBar) == 0,
                    tempoBpm);
        }
    }
}
