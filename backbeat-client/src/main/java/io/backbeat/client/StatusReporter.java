package io.backbeat.client;

import io.backbeat.api.ClaimState;
import io.backbeat.api.GridPosition;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.api.BeatClock;
import io.backbeat.client.spi.BeatTransport;
import io.backbeat.hlc.HybridLogicalClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Publishes the status claims of one client ({@link BeatContext#report}). */
final class StatusReporter {
    private static final Logger LOG = LoggerFactory.getLogger(BeatClient.class);

    private final String clusterId;
    private final String agentId;
    private final BeatTransport transport;
    private final HybridLogicalClock hlc;
    private final BeatClock clock;
    private final boolean markLate;

    StatusReporter(String clusterId, String agentId, BeatTransport transport, HybridLogicalClock hlc, BeatClock clock,
                   boolean markLate) {
        this.clusterId = clusterId;
        this.agentId = agentId;
        this.transport = transport;
        this.hlc = hlc;
        this.clock = clock;
        this.markLate = markLate;
    }

    /** One claim for {@code pos}; best effort: a transport error is logged at DEBUG. */
    void report(GridPosition pos, BeatDeadline deadline, ClaimState state, String detail) {
        long tookMs = Math.max(0, (clock.epochNanos() - pos.phaseStartNanos()) / 1_000_000L);
        ClaimState s = state == ClaimState.COMPLETED && deadline.isExpired() && markLate ? ClaimState.LATE : state;
        try {
            transport.publishStatus(clusterId, BackbeatCodec.encodeClaim(new StatusClaim(clusterId, agentId,
                    pos.beatIndex(), pos.phase(), s, hlc.now().toString(), tookMs, detail)));
        } catch (RuntimeException e) {
            LOG.debug("status claim not published: {}", e.toString());
        }
    }
}
