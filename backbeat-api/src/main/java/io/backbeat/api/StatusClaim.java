package io.backbeat.api;

import java.util.Objects;

/**
 * What a service reports on {@code backbeat.{cluster}.status} for a (beat, phase) it processed.
 *
 * @param clusterId  the cluster
 * @param agentId    the reporting service instance
 * @param beatIndex  the beat
 * @param phase      the phase
 * @param state      the outcome
 * @param hlc        the reporter's HLC, canonical text form
 * @param durationMs how long the work took, milliseconds
 * @param detail     free text, or {@code null}
 */
public record StatusClaim(String clusterId, String agentId, long beatIndex, String phase, ClaimState state,
                          String hlc, long durationMs, String detail) {

    /** The {@code type} field of every StatusClaim. */
    public static final String TYPE = "backbeat.statusclaim.v1";

    public StatusClaim {
        Objects.requireNonNull(clusterId, "cluster_id");
        Objects.requireNonNull(agentId, "agent_id");
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(hlc, "hlc");
        if (durationMs < 0) {
            throw new IllegalArgumentException("duration_ms must be >= 0, got " + durationMs);
        }
    }
}
