package io.backbeat.pulse;

/** A (beat index, phase index) pair, ordered by beat then phase. */
record PhasePair(long beat, int phase) {
    boolean isAfter(PhasePair o) {
        return beat != o.beat ? beat > o.beat : phase > o.phase;
    }
}
