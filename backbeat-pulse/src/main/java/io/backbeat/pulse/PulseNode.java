package io.backbeat.pulse;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClaimState;
import io.backbeat.api.ClusterId;
import io.backbeat.api.EpochClock;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.GridPosition;
import io.backbeat.api.PendingTempo;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.TempoPolicy;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.api.codec.CodecException;
import io.backbeat.hlc.HlcTimestamp;
import io.backbeat.hlc.HybridLogicalClock;
import io.backbeat.pulse.admin.PulseAdmin;
import io.backbeat.pulse.consensus.Consensus;
import io.backbeat.pulse.consensus.LeadershipState;
import io.backbeat.pulse.consensus.TimelineCommand;
import io.backbeat.pulse.metrics.PulseMetrics;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One pulse node: consensus, the beat emitter (leader only), the timeline responder, the drift
 * monitor and status aggregation (every node).
 *
 * <p>The emitter publishes one frame at the start of every phase of the replicated grid,
 * scheduled by absolute deadlines (each wait is computed from the grid and the wall clock, then
 * taken on {@code System.nanoTime}: park until 1 ms before, build and encode the frame, spin the rest). Right before each
 * publish it re-reads leadership from consensus: a node that is no longer leader, or whose term
 * is below one it has seen, publishes nothing. A phase that has already ended is never published
 * (skipped and counted). A new leader starts at the first phase that begins after its term is
 * committed, so no (beat, phase) is published twice across terms.
 */
public final class PulseNode implements PulseAdmin, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class);
    private static final long SPIN_NANOS = 1_000_000L;

    private final String clusterId;
    private final String nodeId;
    private final String beatSubject;
    private final Consensus consensus;
    private final Connection nats;
    private final PulseMetrics metrics;
    private final TempoPolicy policy;
    private final EpochClock clock;
    private final HybridLogicalClock hlc;
    private final double initialBpm;
    private final int initialBar;
    private final List<String> initialPhases;
    private final Duration grace;
    private final Thread emitter;
    private final Object wake = new Object();
    private final Map<Long, long[]> statusByBeat = new LinkedHashMap<>(128, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, long[]> e) {
            return size() > 64;
        }
    };
    private final AtomicLong framesObserved = new AtomicLong();
    private Dispatcher dispatcher;
    private volatile boolean closed;
    private volatile long highestTerm;
    private volatile long lastFrameSeenEpoch;
    private volatile long lastFramePhaseEnd;
    private volatile double lastLagMillis;
    private volatile double driftRatio;
    private volatile double hlcDriftSeconds;
    private volatile long leadershipTerm = -1;
    private volatile boolean wasLeader;

    /** A node; nothing runs until {@link #start()}. */
    public PulseNode(String clusterId, String nodeId, Consensus consensus, Connection nats, PulseMetrics metrics,
                     TempoPolicy policy, double bpm, int bar, List<String> phases, Duration grace) {
        this.clusterId = ClusterId.requireValid(clusterId);
        this.nodeId = nodeId;
        this.beatSubject = ClusterId.beatSubject(clusterId);
        this.consensus = consensus;
        this.nats = nats;
        this.metrics = metrics;
        this.policy = policy;
        this.clock = EpochClock.system();
        this.hlc = HybridLogicalClock.create(nodeId);
        this.initialBpm = bpm;
        this.initialBar = bar;
        this.initialPhases = List.copyOf(phases);
        this.grace = grace;
        this.emitter = new Thread(this::emitLoop, "backbeat-emitter-" + nodeId);
        this.emitter.setDaemon(true);
    }

    /** Starts consensus, subscriptions and the emitter. */
    public void start() throws Exception {
        consensus.start();
        dispatcher = nats.createDispatcher(msg -> {
            try {
                String subject = msg.getSubject();
                if (subject.endsWith(".timeline")) {
                    answerTimeline(msg.getReplyTo());
                } else if (subject.endsWith(".beat")) {
                    observeFrame(msg.getData());
                } else if (subject.endsWith(".status")) {
                    observeClaim(msg.getData());
                }
            } catch (RuntimeException e) {
                LOG.warn("message on {} dropped: {}", msg.getSubject(), e.toString());
            }
        });
        dispatcher.subscribe(ClusterId.timelineSubject(clusterId));
        dispatcher.subscribe(ClusterId.beatSubject(clusterId));
        dispatcher.subscribe(ClusterId.statusSubject(clusterId));
        consensus.onLeadershipChange(this::onLeadership);
        emitter.start();
    }

    /** This node's id. */
    public String nodeId() {
        return nodeId;
    }

    /** The consensus backend. */
    public Consensus consensus() {
        return consensus;
    }

    // ------------------------------------------------------------------ leadership

    private void onLeadership(LeadershipState s) {
        highestTerm = Math.max(highestTerm, s.term());
        if (s.leader() != wasLeader || s.term() != leadershipTerm) {
            metrics.leadership(s.leader(), s.term());
            if (s.leader() && !wasLeader) {
                LOG.info("{} leads in term {}", nodeId, s.term());
            } else if (!s.leader() && wasLeader) {
                LOG.info("{} is no longer leader (term {}, leader '{}')", nodeId, s.term(), s.leaderId());
            }
        }
        wasLeader = s.leader();
        leadershipTerm = s.term();
        if (s.leader()) {
            Thread t = new Thread(() -> takeOver(s.term()), "backbeat-takeover-" + nodeId);
            t.setDaemon(true);
            t.start();
        }
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    /** Initializes the grid if the cluster has none, then records this term's leadership in it. */
    private void takeOver(long term) {
        for (int attempt = 0; attempt < 50 && !closed; attempt++) {
            LeadershipState s = consensus.leadership();
            if (!s.leader() || s.term() != term) {
                return;
            }
            try {
                if (consensus.committedTimeline() == null) {
                    long now = clock.epochNanos();
                    long anchor = (now / 1_000_000_000L + 1) * 1_000_000_000L;
                    consensus.submit(new TimelineCommand.Initialize(TimelineDescriptor.initial(clusterId, anchor,
                            initialBpm, initialBar, initialPhases))).get(5, TimeUnit.SECONDS);
                }
                consensus.submit(new TimelineCommand.AssumeLeadership(term, nodeId)).get(5, TimeUnit.SECONDS);
                synchronized (wake) {
                    wake.notifyAll();
                }
                return;
            } catch (Exception e) {
                LOG.debug("take-over in term {} not committed yet: {}", term, e.toString());
                LockSupport.parkNanos(100_000_000L);
            }
        }
    }

    // ------------------------------------------------------------------ emitter

    private void emitLoop() {
        try {
            warmUp();
        } catch (RuntimeException e) {
            LOG.debug("emitter warm-up failed (continuing cold)", e);
        }
        GridPosition last = null;
        long lastTerm = -1;
        while (!closed) {
            try {
                LeadershipState s = consensus.leadership();
                TimelineDescriptor d = consensus.committedTimeline();
                if (!s.leader() || d == null || d.term() != s.term() || !d.leaderId().equals(nodeId)
                        || s.term() < highestTerm) {
                    last = null;
                    waitForChange(20);
                    continue;
                }
                if (s.term() != lastTerm) {
                    last = null; // a new term starts at the next phase boundary
                    lastTerm = s.term();
                }
                Timeline grid = Timeline.of(d);
                long now = clock.epochNanos();
                // never before the anchor: a fresh cluster's first beat is beat 0 at its anchor, not a negative index
                GridPosition target = last == null ? grid.nextPhaseAfter(Math.max(now, d.anchorTimeNanos() - 1))
                        : grid.following(last);
                if (target.deadlineNanos() <= now) {
                    // phases that ended while we were paused: never published late
                    GridPosition current = grid.positionAt(now);
                    long skippedPhases = Math.max(1, countBetween(grid, target, current));
                    metrics.skipped(skippedPhases);
                    LOG.warn("skipped {} phase(s) that ended before they could be published (beat {} {} .. beat {} {})",
                            skippedPhases, target.beatIndex(), target.phase(), current.beatIndex(), current.phase());
                    last = grid.position(current.beatIndex(), current.phaseIndex());
                    last = previous(grid, last);
                    continue;
                }
                if (!parkUntilSpinWindow(target.phaseStartNanos(), d)) {
                    continue; // leadership or grid changed while waiting: re-plan
                }
                // build and encode the frame inside the spin window, so the grid instant only costs the hand-off
                long e0 = System.nanoTime();
                BeatFrame frame = BeatFrame.at(grid, target, hlc.now().toString(), nodeId, s.term());
                byte[] payload = BackbeatCodec.encodeFrame(frame);
                long encodeNanos = System.nanoTime() - e0;
                spinUntilEpoch(target.phaseStartNanos());
                // fencing: re-read leadership right before publishing
                LeadershipState now2 = consensus.leadership();
                if (!now2.leader() || now2.term() != s.term() || now2.term() < highestTerm) {
                    LOG.info("{} lost leadership before beat {} {}: not publishing", nodeId, target.beatIndex(),
                            target.phase());
                    last = null;
                    continue;
                }
                long publishEpoch = clock.epochNanos();
                if (publishEpoch >= target.deadlineNanos()) {
                    metrics.skipped(1);
                    last = target;
                    continue;
                }
                if (nats.getStatus() == Connection.Status.CONNECTED) {
                    long t0 = System.nanoTime();
                    try {
                        nats.publish(beatSubject, payload);
                        metrics.published(encodeNanos + System.nanoTime() - t0, publishEpoch - target.phaseStartNanos());
                    } catch (IllegalStateException e) {
                        // the connection dropped between the check and the publish; with no reconnect
                        // buffer jnats refuses the frame rather than hold it for a late delivery
                        metrics.skipped(1);
                    }
                } else {
                    metrics.skipped(1); // never buffered for a late delivery
                }
                metrics.tempo(target.tempoBpm());
                last = target;
            } catch (RuntimeException e) {
                LOG.error("emitter error (continuing)", e);
                LockSupport.parkNanos(10_000_000L);
            }
        }
    }

    private static long countBetween(Timeline grid, GridPosition from, GridPosition to) {
        long n = 0;
        GridPosition p = from;
        while (p.isBefore(to) && n < 1_000_000) {
            p = grid.following(p);
            n++;
        }
        return n;
    }

    private static GridPosition previous(Timeline grid, GridPosition p) {
        if (p.phaseIndex() > 0) {
            return grid.position(p.beatIndex(), p.phaseIndex() - 1);
        }
        return grid.position(p.beatIndex() - 1, grid.phases().size() - 1);
    }

    /**
     * Parks until the wall clock is within {@link #SPIN_NANOS} of {@code epochNanos}, in slices of at
     * most 20 ms, re-checking leadership and the grid after each (the monotonic deadline is
     * re-derived from the wall clock every time: absolute, never accumulated). Returns
     * {@code false} when the leadership or the descriptor changed meanwhile.
     */
    private boolean parkUntilSpinWindow(long epochNanos, TimelineDescriptor planned) {
        while (!closed) {
            long left = epochNanos - clock.epochNanos();
            if (left <= SPIN_NANOS) {
                return true;
            }
            LockSupport.parkNanos(Math.min(left - SPIN_NANOS, 20_000_000L));
            if (!consensus.leadership().leader() || consensus.committedTimeline() != planned) {
                return false;
            }
        }
        return false;
    }

    /** Spins (no syscalls) until the wall clock reaches {@code epochNanos}, at most {@link #SPIN_NANOS} plus a margin. */
    private void spinUntilEpoch(long epochNanos) {
        long deadline = System.nanoTime() + (epochNanos - clock.epochNanos());
        long bound = System.nanoTime() + 2 * SPIN_NANOS + 1_000_000L;
        long now;
        while ((now = System.nanoTime()) < deadline && now < bound && !closed) {
            Thread.onSpinWait();
        }
    }

    /**
     * Runs the frame encoder until the JIT has compiled it, so the first beats do not pay for
     * interpretation (at 6 frames a second it would otherwise take minutes to get hot).
     */
    private void warmUp() {
        TimelineDescriptor sample = TimelineDescriptor.initial(clusterId, clock.epochNanos(), initialBpm, initialBar,
                initialPhases);
        Timeline grid = Timeline.of(sample);
        long sink = 0;
        GridPosition p = grid.positionAt(sample.anchorTimeNanos());
        for (int i = 0; i < 20_000 && !closed; i++) {
            BeatFrame f = BeatFrame.at(grid, p, hlc.now().toString(), nodeId, 1);
            sink += BackbeatCodec.encodeFrame(f).length;
            p = grid.following(p);
        }
        LOG.debug("emitter warm ({} bytes encoded)", sink);
    }

    private void waitForChange(long millis) {
        synchronized (wake) {
            try {
                wake.wait(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ every node

    private void answerTimeline(String replyTo) {
        TimelineDescriptor d = consensus.committedTimeline();
        if (replyTo != null && d != null) {
            nats.publish(replyTo, BackbeatCodec.encodeDescriptor(d));
        }
    }

    private void observeFrame(byte[] data) {
        long now = clock.epochNanos();
        BeatFrame f;
        try {
            f = BackbeatCodec.decodeFrame(data);
        } catch (CodecException e) {
            return;
        }
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null || !f.clusterId().equals(clusterId)) {
            return;
        }
        Timeline grid = Timeline.of(d);
        int p = grid.phaseIndexOf(f.phase());
        if (p < 0) {
            return;
        }
        long start;
        long end;
        try {
            start = grid.phaseStartNanos(f.beatIndex(), p);
            end = grid.deadlineNanos(f.beatIndex(), p);
        } catch (ArithmeticException e) {
            return;
        }
        long lag = now - start;
        framesObserved.incrementAndGet();
        lastFrameSeenEpoch = now;
        lastFramePhaseEnd = end;
        lastLagMillis = lag / 1e6;
        metrics.delivered(lag);
        double ratio = Math.abs(lag) / (double) Math.max(1, end - start);
        driftRatio = driftRatio == 0 ? ratio : driftRatio * 0.9 + ratio * 0.1;
        metrics.driftRatio(driftRatio);
        try {
            hlcDriftSeconds = (HlcTimestamp.parse(f.hlc()).wallMs() - now / 1_000_000L) / 1000.0;
        } catch (IllegalArgumentException ignored) {
            // a frame with a bad HLC still tells us it arrived
        }
    }

    private void observeClaim(byte[] data) {
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
        synchronized (statusByBeat) {
            long[] counts = statusByBeat.computeIfAbsent(c.beatIndex(), k -> new long[4]);
            counts[c.state().ordinal()]++;
        }
    }

    // ------------------------------------------------------------------ admin

    @Override
    public TempoStatus tempo() {
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null) {
            return new TempoStatus(0, null, null, false, null, "the cluster has no timeline yet");
        }
        long now = clock.epochNanos();
        TimelineDescriptor s = d.settle(now);
        Timeline grid = Timeline.of(s);
        long next = grid.nextDownbeatAfter(now);
        return new TempoStatus(s.tempoBpm(), s.pending() == null ? null : s.pending().tempoBpm(),
                s.pending() == null ? null : s.pending().atBeatIndex(), true,
                EpochNanos.toInstant(grid.beatStartNanos(next)).toString(), "");
    }

    @Override
    public CompletableFuture<TempoChangeResult> requestTempo(double bpm, String justification) {
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null) {
            metrics.tempoError();
            return CompletableFuture.completedFuture(TempoChangeResult.refused(bpm, "the cluster has no timeline yet"));
        }
        long now = clock.epochNanos();
        TimelineDescriptor settled = d.settle(now);
        var refusal = policy.refusal(settled.tempoBpm(), bpm);
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
                            EpochNanos.toInstant(Timeline.of(after).beatStartNanos(at)).toString());
                })
                .exceptionally(e -> {
                    metrics.tempoError();
                    return TempoChangeResult.refused(bpm, "not committed: " + e.getMessage());
                });
    }

    @Override
    public DriftStatus drift() {
        long now = clock.epochNanos();
        long seen = lastFrameSeenEpoch;
        boolean degraded = seen == 0 || now > lastFramePhaseEnd + grace.toNanos();
        double percent = driftRatio * 100;
        return new DriftStatus(percent, hlcDriftSeconds, seen == 0 ? null : EpochNanos.toInstant(seen).toString(),
                degraded, percent <= 1.0 && !degraded, framesObserved.get(), lastLagMillis);
    }

    @Override
    public LeaderStatus leader() {
        LeadershipState s = consensus.leadership();
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("beats_published", metrics.beatsPublished());
        stats.put("frames_skipped", metrics.framesSkipped());
        stats.put("frames_observed", framesObserved.get());
        TimelineDescriptor d = consensus.committedTimeline();
        stats.put("timeline_term", d == null ? null : d.term());
        return new LeaderStatus(nodeId, s.leader(), s.leaderId(), s.term(), s.clusterSize(), stats);
    }

    @Override
    public List<BeatStatus> recentStatus() {
        List<BeatStatus> out = new ArrayList<>();
        synchronized (statusByBeat) {
            statusByBeat.forEach((beat, c) -> out.add(new BeatStatus(beat, c[ClaimState.COMPLETED.ordinal()],
                    c[ClaimState.FAILED.ordinal()], c[ClaimState.LATE.ordinal()], c[ClaimState.SKIPPED.ordinal()])));
        }
        return out;
    }

    @Override
    public List<String> notReadyReasons() {
        List<String> why = new ArrayList<>();
        if (consensus.leadership().leaderId().isEmpty()) {
            why.add("no consensus leader known");
        }
        if (consensus.committedTimeline() == null) {
            why.add("no timeline committed yet");
        }
        if (nats.getStatus() != Connection.Status.CONNECTED) {
            why.add("NATS " + nats.getStatus());
        }
        return why;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (consensus.leadership().leader()) {
            // a planned stop: hand leadership over while still publishing; the emitter's fence stops this
            // node's frames the moment it is no longer leader, and the next leader continues the grid
            try {
                consensus.yieldLeadership();
            } catch (RuntimeException e) {
                LOG.warn("could not hand leadership over before stopping: {}", e.toString());
            }
        }
        closed = true;
        synchronized (wake) {
            wake.notifyAll();
        }
        emitter.interrupt();
        try {
            emitter.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consensus.close();
        if (dispatcher != null) {
            try {
                nats.closeDispatcher(dispatcher);
            } catch (RuntimeException ignored) {
                // already closed
            }
        }
    }

}
