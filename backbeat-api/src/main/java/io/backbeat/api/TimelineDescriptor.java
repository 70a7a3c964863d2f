package io.backbeat.api;

import java.util.List;
import java.util.Objects;

/**
 * The replicated anchor of a cluster's beat grid. Every beat, phase and deadline is a pure
 * function of this value (see {@link Timeline}); the pulse keeps it in its replicated state and
 * answers {@code backbeat.{cluster}.timeline} requests with it.
 *
 * @param clusterId       the cluster
 * @param anchorTimeNanos start of beat {@code anchorBeatIndex}, nanoseconds since the Unix epoch
 * @param anchorBeatIndex the beat that starts at {@code anchorTimeNanos}
 * @param tempoBpm        tempo from the anchor on
 * @param beatsPerBar     beats in a bar; beat {@code k} is a downbeat when {@code floorMod(k, beatsPerBar) == 0}
 * @param phases          phase names, in order, at least one, no duplicates
 * @param term            the leadership term that wrote this descriptor (fencing token)
 * @param leaderId        the node id that wrote it (may be empty)
 * @param pending         a tempo change waiting for its downbeat, or {@code null}
 */
public record TimelineDescriptor(String clusterId, long anchorTimeNanos, long anchorBeatIndex, double tempoBpm,
                                 int beatsPerBar, List<String> phases, long term, String leaderId,
                                 PendingTempo pending) {

    /** The phases used when none are configured. */
    public static final List<String> DEFAULT_PHASES = List.of("plan", "execute", "review");

    public TimelineDescriptor {
        ClusterId.requireValid(clusterId);
        Tempo t = new Tempo(tempoBpm);
        if (beatsPerBar < 1) {
            throw new IllegalArgumentException("beats_per_bar must be >= 1, got " + beatsPerBar);
        }
        phases = validatePhases(phases);
        if (t.beatNanos() < phases.size()) {
            throw new IllegalArgumentException("a beat of " + t.beatNanos() + " ns cannot hold "
                    + phases.size() + " phases");
        }
        if (term < 0) {
            throw new IllegalArgumentException("term must be >= 0, got " + term);
        }
        leaderId = leaderId == null ? "" : leaderId;
        if (pending != null) {
            if (Math.floorMod(pending.atBeatIndex(), beatsPerBar) != 0) {
                throw new IllegalArgumentException("a pending tempo change must start at a downbeat, got beat "
                        + pending.atBeatIndex() + " with " + beatsPerBar + " beats per bar");
            }
            if (pending.atBeatIndex() <= anchorBeatIndex) {
                throw new IllegalArgumentException("a pending tempo change must start after the anchor beat "
                        + anchorBeatIndex + ", got " + pending.atBeatIndex());
            }
        }
    }

    /** Checks a phase list: non-empty, no blank or duplicate names; returns an immutable copy. */
    public static List<String> validatePhases(List<String> phases) {
        if (phases == null || phases.isEmpty()) {
            throw new IllegalArgumentException("phases must list at least one phase name");
        }
        List<String> copy = List.copyOf(phases);
        for (int i = 0; i < copy.size(); i++) {
            String p = copy.get(i);
            if (p.isBlank()) {
                throw new IllegalArgumentException("phase names must not be blank: " + copy);
            }
            for (int j = 0; j < i; j++) {
                if (copy.get(j).equals(p)) {
                    throw new IllegalArgumentException("phase '" + p + "' is listed twice: " + copy);
                }
            }
        }
        return copy;
    }

    /** A first descriptor for a cluster: beat 0 starts at {@code anchorTimeNanos}, term 0, no pending change. */
    public static TimelineDescriptor initial(String clusterId, long anchorTimeNanos, double tempoBpm,
                                             int beatsPerBar, List<String> phases) {
        return new TimelineDescriptor(clusterId, anchorTimeNanos, 0, tempoBpm, beatsPerBar, phases, 0, "", null);
    }

    /** This descriptor written by another leader. The grid is unchanged. */
    public TimelineDescriptor withLeader(long newTerm, String newLeaderId) {
        return new TimelineDescriptor(clusterId, anchorTimeNanos, anchorBeatIndex, tempoBpm, beatsPerBar, phases,
                newTerm, newLeaderId, pending);
    }

    /** This descriptor with a pending change replaced (or cleared with {@code null}). The grid before it is unchanged. */
    public TimelineDescriptor withPending(PendingTempo newPending) {
        return new TimelineDescriptor(clusterId, anchorTimeNanos, anchorBeatIndex, tempoBpm, beatsPerBar, phases,
                term, leaderId, newPending);
    }

    /**
     * Folds a pending change whose downbeat has started by {@code nowNanos} into the anchor. The
     * grid is identical before and after; only its representation moves forward.
     */
    public TimelineDescriptor settle(long nowNanos) {
        if (pending == null) {
            return this;
        }
        long at = Timeline.of(withPending(null)).beatStartNanos(pending.atBeatIndex());
        if (nowNanos < at) {
            return this;
        }
        return new TimelineDescriptor(clusterId, at, pending.atBeatIndex(), pending.tempoBpm(), beatsPerBar, phases,
                term, leaderId, null);
    }

    /** The tempo in force at {@code nowNanos} (the pending one once its downbeat has begun). */
    public double tempoAt(long nowNanos) {
        return settle(nowNanos).tempoBpm();
    }

    /** {@code true} when both describe the same grid (anchor, tempo, bar, phases, pending), whoever wrote them. */
    public boolean sameGrid(TimelineDescriptor other) {
        return other != null && clusterId.equals(other.clusterId) && anchorTimeNanos == other.anchorTimeNanos
                && anchorBeatIndex == other.anchorBeatIndex && Double.compare(tempoBpm, other.tempoBpm) == 0
                && beatsPerBar == other.beatsPerBar && phases.equals(other.phases)
                && Objects.equals(pending, other.pending);
    }
}
