package io.backbeat.pulse;

import io.backbeat.api.ClusterId;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.PendingTempo;
import io.backbeat.api.SchedulingClock;
import io.backbeat.api.TempoPolicy;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.hlc.HybridLogicalClock;
import io.backbeat.pulse.admin.PulseAdmin;
import io.backbeat.pulse.clock.ClockJudge;
import io.backbeat.pulse.clock.ClockVerdict;
import io.backbeat.consensus.Consensus;
import io.backbeat.consensus.LeadershipState;
import io.backbeat.consensus.TimelineCommand;
import io.backbeat.pulse.metrics.PulseMetrics;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One pulse node: consensus and its leadership, and the parts the architecture names, each in its
 * own class: the {@link BeatEmitter} (leader only), the {@link FrameMonitor} (drift, degradation,
 * the highest pair on the wire), the {@link StatusAggregator} and the {@link TimelineResponder}
 * (every node). This class routes NATS messages to them, records each term's leadership in the
 * replicated state, decides when to hand leadership over, and answers the admin API.
 *
 * <p>A leader that cannot do its job hands leadership to another member: when NATS has been down
 * for longer than a phase, when its clock is off the cluster's by more than the configured bound,
 * or when its take-over cannot be committed (a full disk, for instance).
 */
public final class PulseNode implements PulseAdmin, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class);
    /** A take-over not committed after this long makes the leader hand over. */
    private static final long TAKE_OVER_PATIENCE_NANOS = 1_000_000_000L;
    /** At most one hand-over attempt per this interval. */
    private static final long HAND_OVER_COOLDOWN_NANOS = 3_000_000_000L;
    /** A problem (commit failure) is reported by /health for this long after it was last seen. */
    private static final long PROBLEM_MEMORY_NANOS = 10_000_000_000L;

    private final String clusterId;
    private final String nodeId;
    private final Consensus consensus;
    private final Connection nats;
    private final PulseMetrics metrics;
    private final TempoPolicy policy;
    private final SchedulingClock clock;
    private final double initialBpm;
    private final int initialBar;
    private final List<String> initialPhases;
    private final Duration grace;
    private final BeatEmitter emitter;
    private final FrameMonitor frames;
    private final StatusAggregator status;
    private final TimelineResponder responder;
    private final NodeReporter reporter;
    private volatile boolean wasDegraded;
    private volatile ClockVerdict.Status lastClockStatus;
    private volatile double lastTempo = Double.NaN;
    private final AtomicBoolean handingOver = new AtomicBoolean();
    private Dispatcher dispatcher;
    private volatile boolean closed;
    private volatile long highestTerm;
    private volatile long leadershipTerm = -1;
    private volatile boolean wasLeader;
    private volatile long lastHandOverNanos;
    private volatile long lastNatsDropNanos;
    private volatile long leaderSinceNanos;
    private volatile String commitProblem;
    private volatile long commitProblemNanos;
    private volatile ClockJudge clockJudge = (bound, size) -> new ClockVerdict(ClockVerdict.Status.TRUSTED,
            OptionalLong.empty(), 0, 0, "clock discipline off");
    private volatile boolean clockDisciplined;
    private volatile io.backbeat.pulse.sign.FrameSigner signer;
    private volatile boolean policyMismatchLogged;
    private volatile Backup restore;
    private String knownLeader; // guarded by this: the leader last counted by countLeaderChange
    private long knownLeaderTerm;
    private final long startedEpochNanos;
    private volatile Duration maxClockOffset = Duration.ofMillis(100);

    /** A node on the system clocks; nothing runs until {@link #start()}. */
    public PulseNode(String clusterId, String nodeId, Consensus consensus, Connection nats, PulseMetrics metrics,
                     TempoPolicy policy, double bpm, int bar, List<String> phases, Duration grace) {
        this(clusterId, nodeId, consensus, nats, metrics, policy, bpm, bar, phases, grace, SchedulingClock.system(),
                HybridLogicalClock.create(nodeId));
    }

    /** A node on the given clocks (tests pass virtual ones); nothing runs until {@link #start()}. */
    public PulseNode(String clusterId, String nodeId, Consensus consensus, Connection nats, PulseMetrics metrics,
                     TempoPolicy policy, double bpm, int bar, List<String> phases, Duration grace,
                     SchedulingClock clock, HybridLogicalClock hlc) {
        this.clusterId = ClusterId.requireValid(clusterId);
        this.nodeId = nodeId;
        this.consensus = consensus;
        this.nats = nats;
        this.metrics = metrics;
        this.policy = policy;
        this.clock = clock;
        this.initialBpm = bpm;
        this.initialBar = bar;
        this.initialPhases = List.copyOf(phases);
        this.grace = grace;
        this.lastHandOverNanos = System.nanoTime() - HAND_OVER_COOLDOWN_NANOS;
        this.lastNatsDropNanos = lastHandOverNanos;
        this.frames = new FrameMonitor(clusterId, nodeId, consensus, clock, metrics);
        this.startedEpochNanos = clock.epochNanos();
        registerGauges();
        this.reporter = new NodeReporter(nats, clusterId, nodeId, this::selfReport, this::checkTransitions);
        this.status = new StatusAggregator(clusterId, metrics, this::currentBeat);
        this.responder = new TimelineResponder(consensus, this::send);
        this.emitter = new BeatEmitter(clusterId, nodeId, consensus, new NatsSink(ClusterId.beatSubject(clusterId)),
                metrics, clock, hlc, new EmitterHost(), bpm, bar, initialPhases);
    }

    private void registerGauges() {
        metrics.gauge("backbeat.degraded", "1 while this node has had no frame from a leader for a phase plus grace "
                + "(it keeps the beat on its own copy of the grid), else 0", this, n -> n.degradedNanos() >= 0 ? 1 : 0);
        metrics.gauge("backbeat.degraded.seconds", "seconds since the current degradation began (since the last "
                + "frame's phase end plus grace, or since start when no frame came yet); 0 when not degraded", this,
                n -> Math.max(0, n.degradedNanos()) / 1e9);
        metrics.gauge("backbeat.nats.connected", "1 while this node's NATS connection is CONNECTED, else 0", nats,
                c -> c.getStatus() == Connection.Status.CONNECTED ? 1 : 0);
        metrics.functionCounter("backbeat.nats.reconnects", "NATS reconnects of this node's connection", nats,
                c -> c.getStatistics().getReconnects());
        metrics.gauge("backbeat.last.frame.timestamp.seconds", "Unix time (seconds, this node's clock) when this node "
                + "last accepted a frame from the leader; 0 before any", frames, f -> f.lastFrameSeenEpoch() / 1e9);
        metrics.gauge("backbeat.tempo.bpm", "tempo in force now on the replicated timeline (the same on every node; "
                + "NaN before a timeline is committed)", this, PulseNode::tempoInForce);
        metrics.gauge("backbeat.timer.drift.ratio", "this node's clock rate error, signed ratio (0.01 = 1 % fast, the "
                + "seed's drift limit): against the leader's frames on a follower, against the peers' clocks on the "
                + "leader; NaN until measured", this, PulseNode::driftRatio);
        metrics.gauge("backbeat.ready", "1 while /ready answers 200 (this node can serve its role), else 0", this,
                n -> n.notReadyReasons().isEmpty() ? 1 : 0);
        metrics.gauge("backbeat.cluster.size", "voting members of the consensus group as this node knows them",
                consensus, c -> c.leadership().clusterSize());
    }

    /** Each second: records degradations, clock verdict changes and tempo changes as events. */
    private void checkTransitions() {
        boolean degraded = degradedNanos() >= 0;
        if (degraded != wasDegraded) {
            reporter.event(degraded ? "degraded: no frame from a leader for a phase plus grace; on its own grid"
                    : "recovered: frames from the leader again");
            wasDegraded = degraded;
        }
        if (clockDisciplined) {
            ClockVerdict v = clockVerdict();
            if (v.status() != lastClockStatus) {
                reporter.event("clock " + v.status().name().toLowerCase(java.util.Locale.ROOT) + ": " + v.detail());
                lastClockStatus = v.status();
            }
        }
        double tempo = tempoInForce();
        if (!Double.isNaN(tempo) && tempo != lastTempo) {
            if (!Double.isNaN(lastTempo)) {
                reporter.event(String.format(java.util.Locale.ROOT, "tempo changed: %.2f -> %.2f BPM", lastTempo, tempo));
            }
            lastTempo = tempo;
        }
    }

    /** What this node tells the others each second (shown on their status pages). */
    private Map<String, Object> selfReport() {
        LeadershipState s = consensus.leadership();
        List<String> why = notReadyReasons();
        OptionalLong offset = clockVerdict().offsetNanos();
        double drift = driftRatio();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("is_leader", s.leader());
        r.put("term", s.term());
        r.put("ready", why.isEmpty());
        r.put("reasons", why);
        r.put("clock_offset_ms", offset.isPresent() ? offset.getAsLong() / 1e6 : null);
        r.put("drift_ppm", Double.isNaN(drift) ? null : drift * 1e6);
        r.put("degraded", degradedNanos() >= 0);
        r.put("beats_published", metrics.beatsPublished());
        return r;
    }

    /**
     * A new cluster starts on {@code backup}'s timeline instead of a fresh grid (when this node is the
     * first leader and no timeline is committed yet). Call before {@link #start()}.
     */
    public void restoreFrom(Backup backup) {
        this.restore = java.util.Objects.requireNonNull(backup, "backup");
    }

    /** GET /backup: the committed timeline and policy as a backup document. */
    @Override
    public Map<String, Object> backup() {
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null) {
            throw new IllegalStateException("no timeline committed yet: nothing to back up");
        }
        return Backup.of(d, consensus.committedPolicy(), nodeId, clock.epochNanos()).toJson();
    }

    @Override
    public List<io.backbeat.consensus.Member> members() {
        return consensus.members();
    }

    @Override
    public CompletableFuture<Void> addMember(String id, String address) {
        return consensus.addMember(id, address).whenComplete((v, e) -> reporter.event(e == null
                ? "member added: " + id + " at " + address : "adding member " + id + " failed: " + e));
    }

    @Override
    public CompletableFuture<Void> removeMember(String id) {
        return consensus.removeMember(id).whenComplete((v, e) -> reporter.event(e == null
                ? "member removed: " + id : "removing member " + id + " failed: " + e));
    }

    @Override
    public CompletableFuture<Void> transferLeadership(String id) {
        return consensus.transferLeadership(id);
    }

    /** The status page's view, pushed by {@code GET /events}. */
    @Override
    public Map<String, Object> live() {
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
        v.put("tempo", tempo());
        v.put("drift", drift());
        v.put("ready_reasons", notReadyReasons());
        v.put("health_problems", healthProblems());
        List<BeatStatus> claims = recentStatus();
        v.put("claims", claims.subList(Math.max(0, claims.size() - 8), claims.size()));
        v.put("nodes", reporter.nodes());
        v.put("events", reporter.events());
        return v;
    }

    /** Nanoseconds this node has been degraded (on its own grid), or -1 when it is not. */
    long degradedNanos() {
        long now = clock.epochNanos();
        long seen = frames.lastFrameSeenEpoch();
        long since = seen == 0 ? startedEpochNanos : frames.lastFramePhaseEnd() + grace.toNanos();
        return now > since ? now - since : -1;
    }

    /** The tempo in force on the replicated timeline now, NaN without one. */
    double tempoInForce() {
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null) {
            return Double.NaN;
        }
        try {
            Timeline t = Timeline.of(d);
            return t.tempoBpmOf(t.beatIndexAt(clock.epochNanos()));
        } catch (ArithmeticException e) {
            return Double.NaN;
        }
    }

    /**
     * The clock's rate error (signed ratio, positive = fast): against the leader's frames when another
     * node leads and enough of its frames came, else against the peers' clocks (clock probes); NaN when
     * neither is measured.
     */
    double driftRatio() {
        double fromFrames = frames.driftRatio();
        if (!consensus.leadership().leader() && !Double.isNaN(fromFrames)) {
            return fromFrames;
        }
        java.util.OptionalDouble fromPeers = clockJudge.rate();
        return fromPeers.isPresent() ? fromPeers.getAsDouble() : fromFrames;
    }

    /** Starts consensus, subscriptions and the emitter. */
    public void start() throws Exception {
        consensus.start();
        dispatcher = nats.createDispatcher(msg -> {
            try {
                String subject = msg.getSubject();
                if (subject.endsWith(".timeline")) {
                    responder.answer(msg.getReplyTo());
                } else if (subject.endsWith(".beat")) {
                    frames.observe(msg.getData());
                } else if (subject.endsWith(".status")) {
                    status.observe(msg.getData());
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
        reporter.start();
    }

    /**
     * Clock discipline: {@code judge} says whether this node's clock may drive the beat; a node judged
     * {@link ClockVerdict.Status#SKEWED} (its offset to a majority exceeds {@code bound}) does not
     * publish, hands its leadership over and reports itself not ready; in a cluster of several members
     * a node whose clock is not yet measured, or undecided (an even split with no earlier majority
     * view that still fits), holds its beat. Call before {@link #start()}.
     */
    public void clockDiscipline(ClockJudge judge, Duration bound) {
        this.clockJudge = java.util.Objects.requireNonNull(judge, "judge");
        this.cachedVerdict = null;
        this.maxClockOffset = bound;
        this.clockDisciplined = true;
    }

    /**
     * The clock verdict now, reused for {@value #VERDICT_REUSE_MS} ms: the emitter asks up to four times a
     * phase and the metrics and admin threads too, while the offsets change only with each probe (500 ms).
     */
    public ClockVerdict clockVerdict() {
        CachedVerdict c = cachedVerdict;
        long now = System.nanoTime();
        if (c == null || now - c.atNanos() > VERDICT_REUSE_MS * 1_000_000L) {
            c = new CachedVerdict(now, clockJudge.assess(maxClockOffset.toNanos(),
                    Math.max(1, consensus.leadership().clusterSize())));
            cachedVerdict = c;
        }
        return c.verdict();
    }

    private record CachedVerdict(long atNanos, ClockVerdict verdict) {
    }

    private static final long VERDICT_REUSE_MS = 10;
    private volatile CachedVerdict cachedVerdict;

    /**
     * Under clock discipline in a cluster of several members, a leader publishes only once its clock
     * has been measured against its peers' and a majority agrees with it (within a second of start
     * when the peers answer): a node whose clock is off must not publish even the first frames of the
     * cluster, and on an even split neither of two disagreeing clocks may drive the beat.
     */
    String clockHold() {
        if (!clockDisciplined || consensus.leadership().clusterSize() <= 1) {
            return null;
        }
        ClockVerdict v = clockVerdict();
        return switch (v.status()) {
            case UNMEASURED -> "clock offset to the cluster not measured yet (no peer has answered on "
                    + "backbeat." + clusterId + ".clock)";
            case UNDECIDED -> "clock cannot be checked: " + v.detail();
            default -> null;
        };
    }

    /** The clock problem, or null when the clock is trusted or its verdict is not in yet. */
    String clockProblem() {
        if (!clockDisciplined) {
            return null;
        }
        ClockVerdict v = clockVerdict();
        if (v.status() == ClockVerdict.Status.SKEWED) {
            return String.format("clock offset %+.1f ms to the cluster exceeds the bound of %d ms (--max-clock-offset): %s",
                    v.offsetNanos().orElse(0) / 1e6, maxClockOffset.toMillis(), v.detail());
        }
        return null;
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

    /** The grid's beat now, {@link Long#MIN_VALUE} without a grid. */
    private long currentBeat() {
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null) {
            return Long.MIN_VALUE;
        }
        try {
            return Timeline.of(d).beatIndexAt(clock.epochNanos());
        } catch (ArithmeticException e) {
            return Long.MIN_VALUE;
        }
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
        countLeaderChange(s);
        if (s.leader() != wasLeader || s.term() != leadershipTerm) {
            metrics.leadership(s.leader(), s.term());
            if (s.leader() && !wasLeader) {
                LOG.info("{} leads in term {}", nodeId, s.term());
            } else if (!s.leader() && wasLeader) {
                LOG.info("{} is no longer leader (term {}, leader '{}')", nodeId, s.term(), s.leaderId());
            }
        }
        if (s.leader() && !wasLeader) {
            leaderSinceNanos = clock.nanoTime();
            // an old term's unconfirmed publish (this node was cut off from NATS then) must not make the
            // new term hand over before its first frame: found by the chaos harness (natscut, repeated)
            frames.clearUnconfirmed();
        }
        wasLeader = s.leader();
        leadershipTerm = s.term();
        if (s.leader()) {
            Thread t = new Thread(() -> takeOver(s.term()), "backbeat-takeover-" + nodeId);
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * +1 on {@code backbeat_leadership_changes_total} when the known leader becomes another node or the
     * same node in a higher term; the first leader learned of, and states with no leader known (an
     * election under way), are not changes.
     */
    private synchronized void countLeaderChange(LeadershipState s) {
        if (s.leaderId() == null || s.leaderId().isEmpty()) {
            return;
        }
        if (knownLeader != null && (!knownLeader.equals(s.leaderId()) || s.term() > knownLeaderTerm)) {
            metrics.leaderChanged();
            if (reporter != null) {
                reporter.event("leader changed: " + knownLeader + " (term " + knownLeaderTerm + ") -> " + s.leaderId()
                        + " (term " + s.term() + ")");
            }
        } else if (knownLeader == null && reporter != null) {
            reporter.event("leader known: " + s.leaderId() + " (term " + s.term() + ")");
        }
        if (knownLeader == null || !knownLeader.equals(s.leaderId()) || s.term() > knownLeaderTerm) {
            knownLeader = s.leaderId();
            knownLeaderTerm = s.term();
        }
    }

    /** Initializes the grid if the cluster has none, then records this term's leadership in it. */
    private void takeOver(long term) {
        long began = System.nanoTime();
        while (!closed && System.nanoTime() - began < 30_000_000_000L) {
            LeadershipState s = consensus.leadership();
            if (!s.leader() || s.term() != term) {
                return;
            }
            try {
                if (consensus.committedTimeline() == null) {
                    Backup r = restore;
                    if (r != null) {
                        // the backed-up grid, its term and leader cleared: this cluster's terms start again
                        consensus.submit(new TimelineCommand.Initialize(r.timeline().withLeader(0, ""),
                                r.policy() != null ? r.policy() : policy)).get(5, TimeUnit.SECONDS);
                        LOG.info("{} started the cluster on the timeline restored from the backup taken {} on {}: "
                                + "anchor beat {} at {}", nodeId, r.takenAt(), r.node(), r.timeline().anchorBeatIndex(),
                                EpochNanos.rfc3339(r.timeline().anchorTimeNanos()));
                    } else {
                        long now = clock.epochNanos();
                        long anchor = (now / 1_000_000_000L + 1) * 1_000_000_000L;
                        consensus.submit(new TimelineCommand.Initialize(TimelineDescriptor.initial(clusterId, anchor,
                                initialBpm, initialBar, initialPhases), policy)).get(5, TimeUnit.SECONDS);
                    }
                }
                consensus.submit(new TimelineCommand.AssumeLeadership(term, nodeId)).get(1, TimeUnit.SECONDS);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                long waited = System.nanoTime() - began;
                String cause = rootCause(e);
                if (waited > TAKE_OVER_PATIENCE_NANOS) {
                    noteCommitProblem("take-over in term " + term + " not committed after " + waited / 1_000_000
                            + " ms: " + cause);
                    LOG.warn("{} leads term {} but cannot commit its take-over ({}); handing over", nodeId, term, cause);
                    requestHandOver("take-over not committed: " + cause);
                } else {
                    LOG.debug("take-over in term {} not committed yet: {}", term, cause);
                }
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
            }
        }
    }

    private void noteCommitProblem(String what) {
        commitProblem = what;
        commitProblemNanos = System.nanoTime();
    }

    /** The innermost cause of {@code e} as "Type: message", for logs and health reasons. */
    static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    /**
     * Asks consensus to move leadership to another member, on a daemon thread (a hand-over blocks for
     * up to ~1.5 s), at most once per {@link #HAND_OVER_COOLDOWN_NANOS}.
     */
    private void requestHandOver(String why) {
        if (closed || System.nanoTime() - lastHandOverNanos < HAND_OVER_COOLDOWN_NANOS
                || !handingOver.compareAndSet(false, true)) {
            return;
        }
        lastHandOverNanos = System.nanoTime();
        LOG.warn("{} hands leadership over: {}", nodeId, why);
        Thread t = new Thread(() -> {
            try {
                consensus.yieldLeadership();
            } catch (RuntimeException e) {
                LOG.warn("hand-over failed: {}", e.toString());
            } finally {
                lastHandOverNanos = System.nanoTime();
                handingOver.set(false);
            }
        }, "backbeat-handover-" + nodeId);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Closes the NATS socket with a reset (no linger: the kernel discards what it has not sent, so a
     * frame held there is never delivered late when the path heals) and lets jnats reconnect; at
     * most once per hand-over cooldown.
     */
    private void dropNatsConnection(String why) {
        long now = System.nanoTime();
        if (closed || now - lastNatsDropNanos < HAND_OVER_COOLDOWN_NANOS) {
            return;
        }
        lastNatsDropNanos = now;
        LOG.warn("{} drops its NATS connection: {}", nodeId, why);
        Thread t = new Thread(() -> {
            try {
                nats.forceReconnect(io.nats.client.ForceReconnectOptions.FORCE_CLOSE_INSTANCE);
            } catch (java.io.IOException | RuntimeException e) {
                LOG.warn("forced NATS reconnect failed: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "backbeat-nats-reset-" + nodeId);
        t.setDaemon(true);
        t.start();
    }

    /** The emitter's view of this node. */
    private final class EmitterHost implements BeatEmitter.Host {
        @Override
        public String clockProblem() {
            String clockWhy = PulseNode.this.clockProblem();
            return clockWhy != null ? clockWhy : consensus.storageProblem();
        }

        @Override
        public String holdReason() {
            return clockHold();
        }

        @Override
        public long highestTerm() {
            return highestTerm;
        }

        @Override
        public PhasePair highestSeen() {
            return frames.highestSeen();
        }

        @Override
        public void published(long beat, int phase) {
            frames.noteSeen(beat, phase);
            frames.notePublished();
        }

        @Override
        public long unconfirmedSinceNanos() {
            return frames.unconfirmedSinceNanos();
        }

        @Override
        public void framesVanish(String why) {
            dropNatsConnection(why);
        }

        @Override
        public void handOver(String why) {
            requestHandOver(why);
        }
    }

    /**
     * Signs what this node publishes (frames, timeline replies) with the cluster's key, as
     * PROTOCOL.md "Signed messages" defines. Call before {@link #start()}.
     */
    public void signWith(io.backbeat.pulse.sign.FrameSigner signer) {
        this.signer = signer;
    }

    /** Publishes {@code payload}, signed when a signer is set. */
    private void send(String subject, byte[] payload) {
        io.backbeat.pulse.sign.FrameSigner s = signer;
        if (s == null) {
            nats.publish(subject, payload);
        } else {
            nats.publish(subject, s.headers(payload), payload);
        }
    }

    /** Frames go straight to NATS: no reconnect buffer, so nothing is delivered late. */
    private final class NatsSink implements BeatEmitter.Sink {
        private final String subject;

        NatsSink(String subject) {
            this.subject = subject;
        }

        @Override
        public boolean connected() {
            return nats.getStatus() == Connection.Status.CONNECTED;
        }

        @Override
        public String status() {
            return String.valueOf(nats.getStatus());
        }

        @Override
        public Object prepare(byte[] frame) {
            io.backbeat.pulse.sign.FrameSigner s = signer;
            return s == null ? null : s.headers(frame); // ~67 us: done before the spin, not at the instant
        }

        @Override
        public void publish(byte[] frame) {
            send(subject, frame);
        }

        @Override
        public void publish(byte[] frame, Object prepared) {
            if (prepared instanceof io.nats.client.impl.Headers h) {
                nats.publish(subject, h, frame);
            } else {
                send(subject, frame);
            }
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
        String why = changeBlocker();
        return new TempoStatus(s.tempoBpm(), s.pending() == null ? null : s.pending().tempoBpm(),
                s.pending() == null ? null : s.pending().atBeatIndex(), why == null,
                EpochNanos.rfc3339(grid.beatStartNanos(next)), why == null ? "" : why);
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
                        String cause = rootCause(e);
                        noteCommitProblem("tempo change not committed: " + cause);
                        LOG.warn("tempo change to {} BPM not committed: {}", bpm, cause);
                    }
                });
    }

    @Override
    public DriftStatus drift() {
        long now = clock.epochNanos();
        long seen = frames.lastFrameSeenEpoch();
        boolean degraded = seen == 0 || now > frames.lastFramePhaseEnd() + grace.toNanos();
        double ratio = driftRatio();
        double percent = Double.isNaN(ratio) ? 0 : Math.abs(ratio) * 100;
        String source = Double.isNaN(ratio) ? null
                : !consensus.leadership().leader() && !Double.isNaN(frames.driftRatio()) ? "frames" : "peers";
        OptionalLong offset = clockVerdict().offsetNanos();
        boolean clockOk = clockProblem() == null;
        return new DriftStatus(percent, frames.hlcDriftSeconds(), seen == 0 ? null : EpochNanos.rfc3339(seen),
                degraded, percent <= 1.0 && !degraded && clockOk, frames.framesObserved(), frames.lastLagMillis(),
                offset.isPresent() ? offset.getAsLong() / 1e9 : null, maxClockOffset.toNanos() / 1e9,
                Double.isNaN(ratio) ? null : ratio * 1e6, source, Math.max(0, degradedNanos()) / 1e9);
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
        String commit = commitProblem;
        if (commit != null && System.nanoTime() - commitProblemNanos < PROBLEM_MEMORY_NANOS) {
            return commit;
        }
        return null;
    }

    @Override
    public LeaderStatus leader() {
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

    @Override
    public List<BeatStatus> recentStatus() {
        return status.recent();
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
        String clockWhy = clockProblem() != null ? clockProblem() : clockHold();
        if (clockWhy != null) {
            why.add(clockWhy);
        }
        String storage = consensus.storageProblem();
        if (storage != null) {
            why.add(storage);
        }
        return why;
    }

    @Override
    public List<String> healthProblems() {
        List<String> why = new ArrayList<>(notReadyReasons());
        String commit = commitProblem;
        if (commit != null && System.nanoTime() - commitProblemNanos < PROBLEM_MEMORY_NANOS) {
            why.add(commit);
        }
        TimelineDescriptor d = consensus.committedTimeline();
        if (consensus.leadership().leader() && d != null) {
            long phase = emitter.phaseNanosNow(d);
            long quiet = clock.nanoTime() - Math.max(emitter.lastPublishNanos(), leaderSinceNanos);
            if (quiet > phase + grace.toNanos()) {
                why.add("this node leads but has published no frame for " + quiet / 1_000_000 + " ms"
                        + (consensus.leaseRemainingNanos() <= 0 ? " (no majority lease: peers unreachable?)" : ""));
            }
        }
        why.addAll(liveProblems());
        return why;
    }

    @Override
    public List<String> liveProblems() {
        return !closed && !emitter.isAlive() ? List.of("the emitter thread has stopped") : List.of();
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
        reporter.close();
        emitter.close();
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
