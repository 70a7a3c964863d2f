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

    /** What the verdict rests on, for a log line (each peer's samples), or empty. */
    default String evidence() {
        return "";
    }
}
