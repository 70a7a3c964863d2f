package io.backbeat.api;

/**
 * A tempo change accepted but not yet in force: it takes effect at the start of the downbeat
 * {@code atBeatIndex}.
 */
public record PendingTempo(double tempoBpm, long atBeatIndex) {
    public PendingTempo {
        new Tempo(tempoBpm); // validates
    }
}
