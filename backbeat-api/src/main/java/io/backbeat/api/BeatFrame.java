package io.backbeat.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One frame on {@code backbeat.{cluster}.beat}: published at the start of every phase.
 *
 * <p>The v1 extensions are optional on the wire: a frame read without them has {@code leaderId}
 * empty, {@code term} 0, {@code beatsPerBar} 0 and {@code phases} empty.
 *
 * @param clusterId   the cluster
 * @param beatIndex   beats since the cluster's first anchor
 * @param downbeat    {@code true} when the beat starts a bar
 * @param phase       the phase that starts now
 * @param hlc         the publisher's hybrid logical clock, canonical text form
 * @param deadlineAt  when this phase ends
 * @param tempoBpm    tempo of this beat
 * @param windowId    window id of the bar
 * @param leaderId    node id of the publishing pulse, or empty
 * @param term        leadership epoch (fencing token), 0 when absent
 * @param beatsPerBar beats in a bar, 0 when absent
 * @param phases      the phase list, empty when absent
 * @param nextTempo   the pending tempo change ({@code next_tempo_bpm}, {@code next_tempo_at_beat}): written
 *                    from the commit of the change until it applies, so every reader switches exactly at
 *                    that downbeat; {@code null} when none is pending (or the publisher does not say)
 */
public record BeatFrame(String clusterId, long beatIndex, boolean downbeat, String phase, String hlc,
                        Instant deadlineAt, double tempoBpm, String windowId, String leaderId, long term,
                        int beatsPerBar, List<String> phases, PendingTempo nextTempo) {

    /** The {@code type} field of every BeatFrame. */
    public static final String TYPE = "backbeat.beatframe.v1";

    public BeatFrame {
        Objects.requireNonNull(clusterId, "cluster_id");
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(hlc, "hlc");
        Objects.requireNonNull(deadlineAt, "deadline_at");
        Objects.requireNonNull(windowId, "window_id");
        leaderId = leaderId == null ? "" : leaderId;
        phases = phases == null ? List.of() : List.copyOf(phases);
        if (nextTempo != null && nextTempo.atBeatIndex() <= beatIndex) {
            throw new IllegalArgumentException("next_tempo_at_beat " + nextTempo.atBeatIndex()
                    + " is not after this frame's beat " + beatIndex);
        }
        if (nextTempo != null && beatsPerBar > 0 && Math.floorMod(nextTempo.atBeatIndex(), beatsPerBar) != 0) {
            throw new IllegalArgumentException("next_tempo_at_beat " + nextTempo.atBeatIndex()
                    + " is not a downbeat of a " + beatsPerBar + "-beat bar");
        }
    }

    /** A frame without a pending tempo change. */
    public BeatFrame(String clusterId, long beatIndex, boolean downbeat, String phase, String hlc,
                     Instant deadlineAt, double tempoBpm, String windowId, String leaderId, long term,
                     int beatsPerBar, List<String> phases) {
        this(clusterId, beatIndex, downbeat, phase, hlc, deadlineAt, tempoBpm, windowId, leaderId, term,
                beatsPerBar, phases, null);
    }

    /** Deadline as nanoseconds since the Unix epoch. */
    public long deadlineEpochNanos() {
        return Math.addExact(Math.multiplyExact(deadlineAt.getEpochSecond(), 1_000_000_000L), deadlineAt.getNano());
    }

    /** Index of {@link #phase()} in {@link #phases()}, or -1 when the list is absent or does not hold it. */
    public int phaseIndex() {
        return phases.indexOf(phase);
    }

    /** A builder with every field unset. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this frame's values. */
    public Builder toBuilder() {
        return new Builder().clusterId(clusterId).beatIndex(beatIndex).downbeat(downbeat).phase(phase).hlc(hlc)
                .deadlineAt(deadlineAt).tempoBpm(tempoBpm).windowId(windowId).leaderId(leaderId).term(term)
                .beatsPerBar(beatsPerBar).phases(phases).nextTempo(nextTempo);
    }

    /**
     * The frame a publisher sends for a grid position: downbeat, window id, tempo, deadline, the grid
     * extensions and the pending tempo change (until its downbeat) all come from the timeline, so they
     * cannot disagree with it. Every publisher (the pulse, the test kit's pulses) builds frames here.
     */
    public static BeatFrame at(Timeline timeline, GridPosition pos, String hlc, String leaderId, long term) {
        TimelineDescriptor d = timeline.descriptor();
        PendingTempo next = d.pending() != null && pos.beatIndex() < d.pending().atBeatIndex() ? d.pending() : null;
        return new BeatFrame(d.clusterId(), pos.beatIndex(), pos.downbeat(), pos.phase(), hlc,
                EpochNanos.toInstant(pos.deadlineNanos()), pos.tempoBpm(),
                WindowId.of(d.clusterId(), pos.beatIndex(), d.beatsPerBar()), leaderId, term, d.beatsPerBar(),
                d.phases(), next);
    }

    /** Mutable builder for frames, mainly for tests and tools. */
    public static final class Builder {
        private String clusterId;
        private long beatIndex;
        private boolean downbeat;
        private String phase;
        private String hlc;
        private Instant deadlineAt;
        private double tempoBpm;
        private String windowId;
        private String leaderId = "";
        private long term;
        private int beatsPerBar;
        private List<String> phases = List.of();
        private PendingTempo nextTempo;

        private Builder() {
        }

        public Builder clusterId(String v) { this.clusterId = v; return this; }
        public Builder beatIndex(long v) { this.beatIndex = v; return this; }
        public Builder downbeat(boolean v) { this.downbeat = v; return this; }
        public Builder phase(String v) { this.phase = v; return this; }
        public Builder hlc(String v) { this.hlc = v; return this; }
        public Builder deadlineAt(Instant v) { this.deadlineAt = v; return this; }
        public Builder tempoBpm(double v) { this.tempoBpm = v; return this; }
        public Builder windowId(String v) { this.windowId = v; return this; }
        public Builder leaderId(String v) { this.leaderId = v; return this; }
        public Builder term(long v) { this.term = v; return this; }
        public Builder beatsPerBar(int v) { this.beatsPerBar = v; return this; }
        public Builder phases(List<String> v) { this.phases = v; return this; }
        public Builder nextTempo(PendingTempo v) { this.nextTempo = v; return this; }

        public BeatFrame build() {
            return new BeatFrame(clusterId, beatIndex, downbeat, phase, hlc, deadlineAt, tempoBpm, windowId,
                    leaderId, term, beatsPerBar, phases, nextTempo);
        }
    }
}
