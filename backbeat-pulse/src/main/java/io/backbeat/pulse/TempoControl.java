package io.backbeat.pulse;

import io.backbeat.api.EpochNanos;
import io.backbeat.api.PendingTempo;
import io.backbeat.api.SchedulingClock;
import io.backbeat.api.TempoPolicy;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.consensus.Consensus;
import io.backbeat.consensus.TimelineCommand;
import io.backbeat.pulse.admin.PulseAdmin.TempoChangeResult;
import io.backbeat.pulse.admin.PulseAdmin.TempoStatus;
import io.backbeat.pulse.metrics.PulseMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;

/**
 * {@code GET/POST /tempo}: the tempo in force and whether a change can be committed now, and a
 * change checked against the tempo policy in force (the cluster's replicated one, else this node's
 * flags), then proposed for the next downbeat.
 */
final class TempoControl {
    private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class); // its log lines, as before

    private final String nodeId;
    private final Consensus consensus;
    private final SchedulingClock clock;
    private final PulseMetrics metrics;
    private final TempoPolicy policy;
    private final CommitProblems problems;
    private volatile boolean policyMismatchLogged;

    /** @param policy this node's tempo policy (its flags) */
    TempoControl(String nodeId, Consensus consensus, SchedulingClock clock, PulseMetrics metrics, TempoPolicy policy,
                 CommitProblems problems) {
        this.nodeId = nodeId;
        this.consensus = consensus;
        this.clock = clock;
        this.metrics = metrics;
        this.policy = policy;
        this.problems = problems;
    }

    TempoStatus tempo() {
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null) {
            return new TempoStatus(0, null, null, false, null, "the cluster has no timeline yet");
        }
        long now = clock.epochNanos();
        TimelineDescriptor s = d.settle(now);
        Timeline grid = Timeline.of(s);
        long next = grid.nextDownbeatAfter(now);
        String why = changeBlocker();
        return new TempoStatus(s.tempoBpm(), s.pending() == null ? null : s.pending().tempoBpm(),
                s.pending() == null ? null : s.pending().atBeatIndex(), why == null,
                EpochNanos.rfc3339(grid.beatStartNanos(next)), why == null ? "" : why);
    }

    CompletableFuture<TempoChangeResult> requestTempo(double bpm, String justification) {
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null) {
            metrics.tempoError();
            return CompletableFuture.completedFuture(TempoChangeResult.refused(bpm, "the cluster has no timeline yet"));
        }
        long now = clock.epochNanos();
        TimelineDescriptor settled = d.settle(now);
        var refusal = policy().refusal(settled.tempoBpm(), bpm);
        if (refusal.isPresent()) {
            metrics.tempoError();
            return CompletableFuture.completedFuture(TempoChangeResult.refused(bpm, refusal.get()));
        }
        long at = Timeline.of(settled).nextDownbeatAfter(now);
        LOG.info("tempo change to {} BPM at beat {} requested ({})", bpm, at, justification);
        return consensus.submit(new TimelineCommand.SetPendingTempo(new PendingTempo(bpm, at), now))
                .thenApply(after -> {
                    if (after == null || after.pending() == null || after.pending().atBeatIndex() != at) {
                        metrics.tempoError();
                        return TempoChangeResult.refused(bpm, "the change raced another one; try again");
                    }
                    return new TempoChangeResult(true, "", bpm, at,
                            EpochNanos.rfc3339(Timeline.of(after).beatStartNanos(at)));
                })
                .whenComplete((r, e) -> {
                    if (e != null) {
                        // not a refusal: the change could not be committed (no quorum, a log that cannot
                        // be written); the admin API answers 503 and /health says why
                        metrics.tempoError();
                        String cause = PulseNode.rootCause(e);
                        problems.note("tempo change not committed: " + cause);
                        LOG.warn("tempo change to {} BPM not committed: {}", bpm, cause);
                    }
                });
    }

    /**
     * The tempo policy in force: the cluster's replicated one when consensus holds it (a node started
     * with other bounds says so once and uses the replicated ones), else this node's flags.
     */
    TempoPolicy policy() {
        TempoPolicy replicated = consensus.committedPolicy();
        if (replicated == null) {
            return policy;
        }
        if (!replicated.equals(policy) && !policyMismatchLogged) {
            policyMismatchLogged = true;
            LOG.warn("{} was started with --min-bpm {} --max-bpm {} (max change {}), but the cluster's replicated "
                            + "policy is [{}, {}] BPM (max change {}); using the cluster's", nodeId, policy.minBpm(),
                    policy.maxBpm(), policy.maxChangeRatio(), replicated.minBpm(), replicated.maxBpm(),
                    replicated.maxChangeRatio());
        }
        return replicated;
    }

    /** Why a tempo change cannot be committed now, or null when it can. */
    private String changeBlocker() {
        if (consensus.leadership().leaderId().isEmpty()) {
            return "no consensus leader known (no quorum): a change cannot be committed now";
        }
        String storage = consensus.storageProblem();
        if (storage != null) {
            return storage;
        }
        return problems.recent();
    }
}
