package io.backbeat.pulse;

import io.backbeat.api.ClaimState;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.api.codec.CodecException;
import io.backbeat.pulse.admin.PulseAdmin.BeatStatus;
import io.backbeat.pulse.metrics.PulseMetrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts the status claims services publish, per beat, for the last 64 beats. Thread-safe. Only
 * claims for beats within {@link #WINDOW_BEATS} of the grid's current beat count, and one claim per
 * (agent, beat, phase): a flood of claims for far-off beats cannot push real beats out, and one
 * agent repeating itself cannot inflate a count. Dropped claims are counted by reason.
 */
final class StatusAggregator {
    private static final int BEATS_KEPT = 64;
    static final int WINDOW_BEATS = 64;
    /** Distinct (agent, phase) claims kept per beat; beyond it a beat is full. */
    static final int MAX_CLAIMS_PER_BEAT = 10_000;

    private final String clusterId;
    private final PulseMetrics metrics;
    private final java.util.function.LongSupplier currentBeat;
    private final Map<Long, java.util.Set<String>> claimants = new java.util.HashMap<>();
    private final Map<Long, long[]> byBeat = new LinkedHashMap<>(128, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, long[]> e) {
            return size() > BEATS_KEPT;
        }
    };

    /** {@code currentBeat}: the grid's beat now, {@link Long#MIN_VALUE} while there is no grid. */
    StatusAggregator(String clusterId, PulseMetrics metrics, java.util.function.LongSupplier currentBeat) {
        this.clusterId = clusterId;
        this.metrics = metrics;
        this.currentBeat = currentBeat;
    }

    /** One message from the status subject; malformed or foreign claims are counted and dropped. */
    void observe(byte[] data) {
        StatusClaim c;
        try {
            c = BackbeatCodec.decodeClaim(data);
        } catch (CodecException e) {
            metrics.malformedClaim();
            return;
        }
        if (!c.clusterId().equals(clusterId)) {
            metrics.malformedClaim();
            return;
        }
        long now = currentBeat.getAsLong();
        if (now == Long.MIN_VALUE || c.beatIndex() < now - WINDOW_BEATS || c.beatIndex() > now + WINDOW_BEATS) {
            metrics.droppedClaim("out_of_window");
            return;
        }
        synchronized (byBeat) {
            java.util.Set<String> who = claimants.computeIfAbsent(c.beatIndex(), k -> new java.util.HashSet<>());
            if (who.size() >= MAX_CLAIMS_PER_BEAT) {
                metrics.droppedClaim("full");
                return;
            }
            if (!who.add(c.agentId() + "\u0000" + c.phase())) {
                metrics.droppedClaim("duplicate");
                return;
            }
            byBeat.computeIfAbsent(c.beatIndex(), k -> new long[ClaimState.values().length])[c.state().ordinal()]++;
            claimants.keySet().retainAll(byBeat.keySet());
        }
        metrics.claim(c.state());
    }

    /** The beats kept, oldest first. */
    List<BeatStatus> recent() {
        List<BeatStatus> out = new ArrayList<>();
        synchronized (byBeat) {
            byBeat.forEach((beat, c) -> out.add(new BeatStatus(beat, c[ClaimState.COMPLETED.ordinal()],
                    c[ClaimState.FAILED.ordinal()], c[ClaimState.LATE.ordinal()], c[ClaimState.SKIPPED.ordinal()])));
        }
        return out;
    }
}
