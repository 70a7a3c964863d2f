package io.backbeat.client;

import io.backbeat.client.internal.PhaseTimings;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The counters of one client, updated by its parts, read as a {@link ClientStats} snapshot. */
final class ClientCounters {
    final LongAdder received = new LongAdder();
    final LongAdder accepted = new LongAdder();
    final LongAdder dispatched = new LongAdder();
    final LongAdder derived = new LongAdder();
    final LongAdder listenerErrors = new LongAdder();
    final LongAdder skippedBusy = new LongAdder();
    final LongAdder degradations = new LongAdder();
    final LongAdder recoveries = new LongAdder();
    final LongAdder tasks = new LongAdder();
    final LongAdder tempoAnnouncements = new LongAdder();
    final LongAdder missed = new LongAdder();
    final PhaseTimings timings = new PhaseTimings();
    volatile long lastCorrectionNanos;
    volatile long lastFrameLagNanos;

    /**
     * A snapshot. {@code gateDrops} are the frames the frame gate dropped, {@code signatureRejects}
     * the messages the transport refused before they reached it.
     */
    ClientStats snapshot(Map<DropReason, Long> gateDrops, long signatureRejects, boolean degraded, long term,
                         String leaderId, double tempoBpm) {
        Map<DropReason, Long> drops = new EnumMap<>(gateDrops);
        drops.merge(DropReason.SIGNATURE, signatureRejects, Long::sum);
        return new ClientStats(received.sum() + signatureRejects, accepted.sum(), drops, dispatched.sum(),
                derived.sum(), listenerErrors.sum(), skippedBusy.sum(), degraded, degradations.sum(), recoveries.sum(),
                lastCorrectionNanos, lastFrameLagNanos, term, leaderId, tempoBpm, timings.count(), timings.missed(),
                timings.totalNanos(), timings.maxNanos(), tasks.sum(),
                tempoAnnouncements.sum(), missed.sum());
    }
}
