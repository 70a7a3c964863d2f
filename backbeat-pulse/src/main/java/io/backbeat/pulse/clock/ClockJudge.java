package io.backbeat.pulse.clock;

import java.util.OptionalDouble;

/** Judges this node's clock against its peers': see {@link ClockOffsetEstimator#assess}. */
@FunctionalInterface
public interface ClockJudge {
    /**
     * @param boundNanos  the largest offset allowed between two clocks
     * @param clusterSize voting members, this node included
     */
    ClockVerdict assess(long boundNanos, int clusterSize);

    /** This clock's rate error against its peers' (positive = fast; 0.01 = 1 %), when measured. */
    default OptionalDouble rate() {
        return OptionalDouble.empty();
    }

    /**
     * The peers whose clocks are off this one by more than {@code boundNanos}, when this clock is
     * itself trusted (a majority agrees with it); empty otherwise or when not measured.
     */
    default java.util.Set<String> peersOff(long boundNanos, int clusterSize) {
        return java.util.Set.of();
    }

    /**
     * The last consensus log entry each peer told in a clock reply received within the last
     * {@code withinNanos} (peers that answered recently, that is, are alive and reachable); empty when
     * not measured or when the peers tell none.
     */
    default java.util.Map<String, io.backbeat.consensus.LogPosition> peerLogPositions(long withinNanos) {
        return java.util.Map.of();
    }

    /** What the verdict rests on, for a log line (each peer's samples), or empty. */
    default String evidence() {
        return "";
    }
}
