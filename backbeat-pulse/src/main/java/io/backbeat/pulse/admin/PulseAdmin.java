package io.backbeat.pulse.admin;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** What a pulse node exposes to its admin API. Implemented by {@link io.backbeat.pulse.PulseNode}. */
public interface PulseAdmin {

    /**
     * GET /tempo: {@code canChange} is true only when a change could be committed now (a consensus
     * leader is known, the log can be written, no commit failed in the last 10 s); {@code reason} says
     * why not. {@code nextChange} (the next downbeat, where a change would apply) is RFC 3339 UTC with
     * milliseconds, always in that shape.
     */
    record TempoStatus(double currentBpm, Double pendingBpm, Long pendingAtBeatIndex, boolean canChange,
                       String nextChange, String reason) {
    }

    /** POST /tempo outcome: accepted (with when) or refused (with why). */
    record TempoChangeResult(boolean accepted, String reason, double tempoBpm, long atBeatIndex, String effectiveAt) {
        public static TempoChangeResult refused(double bpm, String reason) {
            return new TempoChangeResult(false, reason, bpm, -1, null);
        }
    }

    /**
     * GET /drift: the Go pulse's fields, with {@code timerDriftPercent} the magnitude of this node's clock
     * <b>rate</b> error in percent (0 until measured; the Go pulse's limit is 1 %) and {@code clockRatePpm} the
     * same signed, in parts per million (positive = this clock runs fast; null until measured), from
     * {@code driftSource}: {@code "frames"} (the slope of the leader's frames' delivery-latency floor
     * over a minute, on a follower) or {@code "peers"} (the clock probes, on the leader or without
     * frames); plus {@code clockOffsetSeconds}, this node's wall clock minus the cluster's (positive =
     * ahead; null while no peer has answered), the bound beyond which the node will not lead, and
     * {@code degradedSeconds}, how long this node has been on its own grid (0 when not degraded).
     */
    record DriftStatus(double timerDriftPercent, double hlcDriftSeconds, String lastSyncTime, boolean degradationMode,
                       boolean withinLimits, long framesObserved, double deliveryLatencyMs, Double clockOffsetSeconds,
                       double maxClockOffsetSeconds, Double clockRatePpm, String driftSource, double degradedSeconds) {
    }

    /**
     * GET /leader: {@code leaderAddress} is the leader's consensus (Raft) address {@code host:port}
     * (null while no leader is known); {@code clusterSize} the voting members of the current Raft
     * configuration.
     */
    record LeaderStatus(String nodeId, boolean isLeader, String leader, String leaderAddress, long term,
                        int clusterSize, Map<String, Object> stats) {
    }

    /** One beat of GET /status. */
    record BeatStatus(long beatIndex, long completed, long failed, long late, long skipped) {
    }

    TempoStatus tempo();

    /** GET /backup: the replicated state as a backup document; IllegalStateException when there is none. */
    default Map<String, Object> backup() {
        throw new IllegalStateException("backups are not supported here");
    }

    /** GET /members: the voting members of the current consensus configuration. */
    default List<io.backbeat.consensus.Member> members() {
        return List.of();
    }

    /** POST /members. */
    default CompletableFuture<Void> addMember(String nodeId, String address) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("membership changes not supported"));
    }

    /** DELETE /members/{id}. */
    default CompletableFuture<Void> removeMember(String nodeId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("membership changes not supported"));
    }

    /** POST /leader/transfer. */
    default CompletableFuture<Void> transferLeadership(String nodeId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("leadership transfer not supported"));
    }

    /** Everything the status page shows, as JSON-able values (GET /events pushes it). */
    default Map<String, Object> live() {
        return Map.of();
    }

    CompletableFuture<TempoChangeResult> requestTempo(double bpm, String justification);

    DriftStatus drift();

    LeaderStatus leader();

    List<BeatStatus> recentStatus();

    /**
     * {@code GET /ready}: this node can serve its role (a consensus leader is known, the timeline is
     * committed, NATS is connected, its clock is within the bound); the reasons otherwise.
     */
    List<String> notReadyReasons();

    /**
     * {@code GET /health}: every reason this node is not doing its job, worded for a person to act
     * on: the readiness reasons plus a leader that has published nothing for a phase plus grace, a
     * log that cannot be committed to (recently), a stopped emitter. Empty when healthy.
     */
    default List<String> healthProblems() {
        return notReadyReasons();
    }

    /**
     * {@code GET /live}: the process can do work (its threads run). Deliberately independent of NATS
     * and of the peers, so an outage of either does not make every node fail its liveness probe.
     */
    default List<String> liveProblems() {
        return List.of();
    }
}
