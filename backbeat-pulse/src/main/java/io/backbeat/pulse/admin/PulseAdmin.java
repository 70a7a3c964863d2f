package io.backbeat.pulse.admin;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** What a pulse node exposes to its admin API. Implemented by {@link io.backbeat.pulse.PulseNode}. */
public interface PulseAdmin {

    /** GET /tempo. */
    record TempoStatus(double currentBpm, Double pendingBpm, Long pendingAtBeatIndex, boolean canChange,
                       String nextChange, String reason) {
    }

    /** POST /tempo outcome: accepted (with when) or refused (with why). */
    record TempoChangeResult(boolean accepted, String reason, double tempoBpm, long atBeatIndex, String effectiveAt) {
        public static TempoChangeResult refused(double bpm, String reason) {
            return new TempoChangeResult(false, reason, bpm, -1, null);
        }
    }

    /** GET /drift (the seed's fields). */
    record DriftStatus(double timerDriftPercent, double hlcDriftSeconds, String lastSyncTime, boolean degradationMode,
                       boolean withinLimits, long framesObserved, double deliveryLatencyMs) {
    }

    /** GET /leader. */
    record LeaderStatus(String nodeId, boolean isLeader, String leader, long term, int clusterSize,
                        Map<String, Object> stats) {
    }

    /** One beat of GET /status. */
    record BeatStatus(long beatIndex, long completed, long failed, long late, long skipped) {
    }

    TempoStatus tempo();

    CompletableFuture<TempoChangeResult> requestTempo(double bpm, String justification);

    DriftStatus drift();

    LeaderStatus leader();

    List<BeatStatus> recentStatus();

    /** Ready: consensus has a leader, the timeline is known and NATS is connected; the reasons otherwise. */
    List<String> notReadyReasons();
}
