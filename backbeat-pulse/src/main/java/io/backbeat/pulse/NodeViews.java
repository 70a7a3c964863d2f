package io.backbeat.pulse;

import io.backbeat.api.SchedulingClock;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.consensus.Consensus;
import io.backbeat.consensus.LeadershipState;
import io.backbeat.pulse.admin.PulseAdmin.BeatStatus;
import io.backbeat.pulse.admin.PulseAdmin.LeaderStatus;
import io.backbeat.pulse.metrics.PulseMetrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The composite views of this node, as JSON-able values: {@code GET /leader}, the status page's
 * view pushed by {@code GET /events}, and the report this node sends the others each second.
 */
final class NodeViews {
    private final String nodeId;
    private final String clusterId;
    private final Consensus consensus;
    private final PulseMetrics metrics;
    private final SchedulingClock clock;
    private final FrameMonitor frames;
    private final ClockGate clockGate;
    private final NodeReadings readings;
    private final NodeHealth health;
    private final TempoControl tempo;
    private final StatusAggregator status;
    private final NodeReporter reporter;

    NodeViews(String nodeId, String clusterId, Consensus consensus, PulseMetrics metrics, SchedulingClock clock,
              FrameMonitor frames, ClockGate clockGate, NodeReadings readings, NodeHealth health, TempoControl tempo,
              StatusAggregator status, NodeReporter reporter) {
        this.nodeId = nodeId;
        this.clusterId = clusterId;
        this.consensus = consensus;
        this.metrics = metrics;
        this.clock = clock;
        this.frames = frames;
        this.clockGate = clockGate;
        this.readings = readings;
        this.health = health;
        this.tempo = tempo;
        this.status = status;
        this.reporter = reporter;
    }

    /** GET /leader. */
    LeaderStatus leader() {
        LeadershipState s = consensus.leadership();
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("beats_published", metrics.beatsPublished());
        stats.put("frames_skipped", metrics.framesSkipped());
        stats.put("frames_fenced", metrics.framesFenced());
        stats.put("frames_observed", frames.framesObserved());
        stats.put("commands_rejected", consensus.rejectedCommands());
        TimelineDescriptor d = consensus.committedTimeline();
        stats.put("timeline_term", d == null ? null : d.term());
        return new LeaderStatus(nodeId, s.leader(), s.leaderId(),
                s.leaderId().isEmpty() ? null : consensus.peerAddress(s.leaderId()), s.term(), s.clusterSize(), stats);
    }

    /** The status page's view, pushed by {@code GET /events}. */
    Map<String, Object> live() {
        Map<String, Object> v = new LinkedHashMap<>();
        io.backbeat.api.BeatFrame f = frames.lastFrame();
        LeadershipState s = consensus.leadership();
        v.put("node", nodeId);
        v.put("cluster", clusterId);
        v.put("beat", f == null ? null : f.beatIndex());
        v.put("phase", f == null ? null : f.phase());
        v.put("downbeat", f != null && f.downbeat());
        v.put("frame_phases", f == null ? null : f.phases());
        v.put("beats_per_bar", f == null ? null : f.beatsPerBar());
        v.put("frame_term", f == null ? null : f.term());
        v.put("frame_leader", f == null ? null : f.leaderId());
        v.put("frame_age_ms", f == null ? null : (clock.epochNanos() - frames.lastFrameSeenEpoch()) / 1e6);
        v.put("leader", s.leaderId());
        v.put("leader_address", s.leaderId().isEmpty() ? null : consensus.peerAddress(s.leaderId()));
        v.put("term", s.term());
        v.put("is_leader", s.leader());
        v.put("tempo", tempo.tempo());
        v.put("drift", readings.drift());
        v.put("ready_reasons", health.notReadyReasons());
        v.put("health_problems", health.healthProblems());
        List<BeatStatus> claims = status.recent();
        v.put("claims", claims.subList(Math.max(0, claims.size() - 8), claims.size()));
        v.put("nodes", reporter.nodes());
        v.put("events", reporter.events());
        return v;
    }

    /** What this node tells the others each second (shown on their status pages). */
    Map<String, Object> selfReport() {
        LeadershipState s = consensus.leadership();
        List<String> why = health.notReadyReasons();
        OptionalLong offset = clockGate.verdict().offsetNanos();
        double drift = readings.driftRatio();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("is_leader", s.leader());
        r.put("term", s.term());
        r.put("ready", why.isEmpty());
        r.put("reasons", why);
        r.put("clock_offset_ms", offset.isPresent() ? offset.getAsLong() / 1e6 : null);
        r.put("drift_ppm", Double.isNaN(drift) ? null : drift * 1e6);
        r.put("degraded", readings.degradedNanos() >= 0);
        r.put("beats_published", metrics.beatsPublished());
        return r;
    }
}
