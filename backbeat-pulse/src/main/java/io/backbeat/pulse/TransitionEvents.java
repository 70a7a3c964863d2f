package io.backbeat.pulse;

import io.backbeat.pulse.clock.ClockVerdict;

import java.util.function.Consumer;

/**
 * Turns this node's state changes into events for the status page ({@link #check}, each second):
 * a degradation and the recovery from it, a new clock verdict (under clock discipline), a tempo change.
 */
final class TransitionEvents {
    private final NodeReadings readings;
    private final ClockGate clockGate;
    private final Consumer<String> events;
    private volatile boolean wasDegraded;
    private volatile ClockVerdict.Status lastClockStatus;
    private volatile double lastTempo = Double.NaN;

    TransitionEvents(NodeReadings readings, ClockGate clockGate, Consumer<String> events) {
        this.readings = readings;
        this.clockGate = clockGate;
        this.events = events;
    }

    /** Records the changes since the last call as events. */
    void check() {
        boolean degraded = readings.degradedNanos() >= 0;
        if (degraded != wasDegraded) {
            events.accept(degraded ? "degraded: no frame from a leader for a phase plus grace; on its own grid"
                    : "recovered: frames from the leader again");
            wasDegraded = degraded;
        }
        if (clockGate.disciplined()) {
            ClockVerdict v = clockGate.verdict();
            if (v.status() != lastClockStatus) {
                String evidence = clockGate.evidence();
                events.accept("clock " + v.status().name().toLowerCase(java.util.Locale.ROOT) + ": " + v.detail()
                        + (evidence.isEmpty() ? "" : "; evidence: " + evidence));
                lastClockStatus = v.status();
            }
        }
        double tempo = readings.tempoInForce();
        if (!Double.isNaN(tempo) && tempo != lastTempo) {
            if (!Double.isNaN(lastTempo)) {
                events.accept(String.format(java.util.Locale.ROOT, "tempo changed: %.2f -> %.2f BPM", lastTempo, tempo));
            }
            lastTempo = tempo;
        }
    }
}
