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

/** Counts the status claims services publish, per beat, for the last 64 beats. Thread-safe. */
final class StatusAggregator {
    private static final int BEATS_KEPT = 64;

    private final String clusterId;
    private final PulseMetrics metrics;
    private final Map<Long, long[]> byBeat = new LinkedHashMap<>(128, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, long[]> e) {
            return size() > BEATS_KEPT;
        }
    };

    StatusAggregator(String clusterId, PulseMetrics metrics) {
        this.clusterId = clusterId;
        this.metrics = metrics;
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
        metrics.claim(c.state());
        synchronized (byBeat) {
            byBeat.computeIfAbsent(c.beatIndex(), k -> new long[ClaimState.values().length])[c.state().ordinal()]++;
        }
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
