package io.backbeat.pulse;

import io.backbeat.api.ClusterId;
import io.backbeat.api.SchedulingClock;
import io.backbeat.api.TempoPolicy;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.hlc.HybridLogicalClock;
import io.backbeat.pulse.admin.PulseAdmin;
import io.backbeat.pulse.clock.ClockJudge;
import io.backbeat.pulse.clock.ClockVerdict;
import io.backbeat.consensus.Consensus;
import io.backbeat.pulse.metrics.PulseMetrics;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One pulse node: consensus and its leadership, and the parts the architecture names, each in its
 * own class: the {@link BeatEmitter} (leader only), the {@link FrameMonitor} (drift, degradation,
 * the highest pair on the wire), the {@link StatusAggregator} and the {@link TimelineResponder}
 * (every node). This class wires them, routes NATS messages to them and answers the admin API
 * through its collaborators: the {@link LeadershipTracker} and {@link TakeOver} (each term's
 * leadership recorded in the replicated state), the {@link HandOvers} (when to hand leadership
 * over), the {@link ClockGate} (clock discipline) and the {@link Candidacy} (a node whose clock is
 * off stays out of elections), the {@link TempoControl}, {@link NodeReadings},
 * {@link NodeHealth} and {@link NodeViews} (the admin views), and the {@link NodeReporter} with its
 * {@link TransitionEvents} (the status page).
 *
 * <p>A leader that cannot do its job hands leadership to another member: when NATS has been down
 * for longer than a phase, when its clock is off the cluster's by more than the configured bound,
 * or when its take-over cannot be committed (a full disk, for instance). A node whose clock is off
 * also withdraws from elections until its clock has been trusted again for two seconds.
 */
public final class PulseNode implements PulseAdmin, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class);
    /** A peer that answered a clock probe this recently is alive and reachable (two probe intervals). */
    private static final long PEER_HEARD_WITHIN_NANOS = 1_000_000_000L;

    private final String clusterId;
    private final String nodeId;
    private final Consensus consensus;
    private final Connection nats;
    private final PulseMetrics metrics;
    private final SchedulingClock clock;
    private final FrameMonitor frames;
    private final ClockGate clockGate;
    private final NodeReadings readings;
    private final SignedPublisher publisher;
    private final FrameConnection frameConnection;
    private final HandOvers handOvers;
    private final TakeOver takeOver;
    private final LeadershipTracker leadership;
    private final TransitionEvents transitions;
    private final Candidacy candidacy;
    private final NodeReporter reporter;
    private final StatusAggregator status;
    private final TimelineResponder responder;
    private final BeatEmitter emitter;
    private final TempoControl tempo;
    private final NodeHealth health;
    private final NodeViews views;
    private Dispatcher dispatcher;
    private volatile boolean closed;

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
        this.clock = clock;
        List<String> initialPhases = List.copyOf(phases);
        CommitProblems problems = new CommitProblems();
        this.clockGate = new ClockGate(clusterId, consensus);
        this.frameConnection = new FrameConnection(nats.getOptions(), nats::getConnectedUrl, nodeId);
        this.handOvers = new HandOvers(nodeId, consensus, nats, frameConnection, () -> closed, clockGate::peersOff);
        this.frames = new FrameMonitor(clusterId, nodeId, consensus, clock, metrics);
        this.readings = new NodeReadings(consensus, clock, frames, clockGate, grace, clock.epochNanos());
        this.publisher = new SignedPublisher(nats, frameConnection);
        this.transitions = new TransitionEvents(readings, clockGate, this::event);
        this.reporter = new NodeReporter(nats, clusterId, nodeId, this::selfReport, transitions::check);
        this.candidacy = new Candidacy(nodeId, consensus, clockGate::problem, this::event, this::beatSilenceNanos,
                this::peersThatNeedThisLog);
        this.status = new StatusAggregator(clusterId, metrics, readings::currentBeat);
        this.responder = new TimelineResponder(consensus, publisher::send);
        this.takeOver = new TakeOver(nodeId, consensus, clock, policy,
                anchor -> TimelineDescriptor.initial(clusterId, anchor, bpm, bar, initialPhases), handOvers, problems,
                () -> closed, clockGate::problemNow);
        this.leadership = new LeadershipTracker(nodeId, metrics, clock, frames, reporter::event, takeOver);
        this.emitter = new BeatEmitter(clusterId, nodeId, consensus, publisher.sink(ClusterId.beatSubject(clusterId)),
                metrics, clock, hlc, new EmitterHost(consensus, clockGate, leadership, frames, handOvers), bpm, bar,
                initialPhases);
        this.tempo = new TempoControl(nodeId, consensus, clock, metrics, policy, problems);
        this.health = new NodeHealth(consensus, nats, clock, grace, clockGate, problems, emitter, leadership,
                () -> closed);
        this.views = new NodeViews(nodeId, clusterId, consensus, metrics, clock, frames, clockGate, readings, health,
                tempo, status, reporter);
        registerGauges();
    }

    /**
     * How long the beat has been silent beyond one phase (no frame from the committed leader arrived, on the
     * monotonic clock: a node whose wall clock is off cannot measure frames, yet sees them come), negative if
     * not or before any.
     */
    private long beatSilenceNanos(long ignoredNanoTime) {
        TimelineDescriptor d = consensus.committedTimeline();
        if (!frames.leaderFrameArrived() || d == null) {
            return -1;
        }
        // the frame monitor's clock on both sides (the node's clock, virtual in tests)
        return clock.nanoTime() - frames.leaderFrameArrivedNanos() - BeatEmitter.phaseNanos(d, clock.epochNanos());
    }

    /**
     * Why this node's standing could end a silent beat: the peers that answered a clock probe within the
     * last second with a log behind this node's (Raft elects none of them without this node's vote, which
     * their older log cannot get), or {@code null} when there are none (the others can elect one of
     * themselves; a withdrawn node then stays out).
     */
    private String peersThatNeedThisLog() {
        java.util.Optional<io.backbeat.consensus.LogPosition> mine = consensus.lastLogEntry();
        if (mine.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        clockGate.peerLogPositions(PEER_HEARD_WITHIN_NANOS).forEach((peer, log) -> {
            if (log.isBehind(mine.get())) {
                sb.append(sb.length() == 0 ? "" : "; ").append(peer).append(" answers with an older log (")
                        .append(log).append(" < ").append(mine.get()).append(')');
            }
        });
        return sb.length() == 0 ? null : sb.toString();
    }

    private void registerGauges() {
        metrics.gauge("backbeat.degraded", "1 while this node has had no frame from a leader for a phase plus grace "
                + "(it keeps the beat on its own copy of the grid), else 0", readings, r -> r.degradedNanos() >= 0 ? 1 : 0);
        metrics.gauge("backbeat.degraded.seconds", "seconds since the current degradation began (since the last "
                + "frame's phase end plus grace, or since start when no frame came yet); 0 when not degraded", readings,
                r -> Math.max(0, r.degradedNanos()) / 1e9);
        metrics.gauge("backbeat.nats.connected", "1 while this node's NATS connection is CONNECTED, else 0", nats,
                c -> c.getStatus() == Connection.Status.CONNECTED ? 1 : 0);
        metrics.functionCounter("backbeat.nats.reconnects", "NATS reconnects of this node's connection", nats,
                c -> c.getStatistics().getReconnects());
        metrics.gauge("backbeat.nats.frames.connected", "1 while this node's frame connection (the NATS socket the "
                + "leader's frames are written to on the emitter's thread) is connected, else 0", frameConnection,
                f -> f.connected() ? 1 : 0);
        metrics.functionCounter("backbeat.nats.frames.connects", "connects of this node's frame connection (the first "
                + "one included)", frameConnection, FrameConnection::connects);
        metrics.gauge("backbeat.last.frame.timestamp.seconds", "Unix time (seconds, this node's clock) when this node "
                + "last accepted a frame from the leader; 0 before any", frames, f -> f.lastFrameSeenEpoch() / 1e9);
        metrics.gauge("backbeat.tempo.bpm", "tempo in force now on the replicated timeline (the same on every node; "
                + "NaN before a timeline is committed)", readings, NodeReadings::tempoInForce);
        metrics.gauge("backbeat.timer.drift.ratio", "this node's clock rate error, signed ratio (0.01 = 1 % fast, the "
                + "Go pulse's drift limit): against the leader's frames on a follower, against the peers' clocks on the "
                + "leader; NaN until measured", readings, NodeReadings::driftRatio);
        metrics.gauge("backbeat.ready", "1 while /ready answers 200 (this node can serve its role), else 0", health,
                h -> h.notReadyReasons().isEmpty() ? 1 : 0);
        metrics.gauge("backbeat.cluster.size", "voting members of the consensus group as this node knows them",
                consensus, c -> c.leadership().clusterSize());
    }

    /** The reporter's callbacks (it is built before the views and the events it feeds). */
    private Map<String, Object> selfReport() {
        return views.selfReport();
    }

    private void event(String text) {
        LOG.info("{}: {}", nodeId, text); // the log says why too, not only the status page
        reporter.event(text);
    }

    /**
     * A new cluster starts on {@code backup}'s timeline instead of a fresh grid (when this node is the
     * first leader and no timeline is committed yet). Call before {@link #start()}.
     */
    public void restoreFrom(Backup backup) {
        takeOver.restoreFrom(backup);
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
        return views.live();
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
        consensus.onLeadershipChange(leadership::onLeadership);
        frameConnection.start(Duration.ofSeconds(2)); // frames have a connection before the first one is due
        emitter.start();
        reporter.start();
        candidacy.start();
    }

    /**
     * Clock discipline: {@code judge} says whether this node's clock may drive the beat; a node judged
     * {@link ClockVerdict.Status#SKEWED} (its offset to a majority exceeds {@code bound}) does not
     * publish, hands its leadership over, withdraws from elections and reports itself not ready; in a cluster of several members
     * a node whose clock is not yet measured, or undecided (an even split with no earlier majority
     * view that still fits), holds its beat. Call before {@link #start()}.
     */
    public void clockDiscipline(ClockJudge judge, Duration bound) {
        clockGate.discipline(judge, bound);
    }

    /**
     * The clock verdict now, reused for {@value ClockGate#VERDICT_REUSE_MS} ms: the emitter asks up to four
     * times a phase and the metrics and admin threads too, while the offsets change only with each probe (500 ms).
     */
    public ClockVerdict clockVerdict() {
        return clockGate.verdict();
    }

    /** This node's id. */
    public String nodeId() {
        return nodeId;
    }

    /** The consensus backend. */
    public Consensus consensus() {
        return consensus;
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
     * Signs what this node publishes (frames, timeline replies) with the cluster's key, as
     * PROTOCOL.md "Signed messages" defines. Call before {@link #start()}.
     */
    public void signWith(io.backbeat.pulse.sign.FrameSigner signer) {
        publisher.signWith(signer);
    }

    // ------------------------------------------------------------------ admin

    @Override
    public TempoStatus tempo() {
        return tempo.tempo();
    }

    @Override
    public CompletableFuture<TempoChangeResult> requestTempo(double bpm, String justification) {
        return tempo.requestTempo(bpm, justification);
    }

    @Override
    public DriftStatus drift() {
        return readings.drift();
    }

    @Override
    public LeaderStatus leader() {
        return views.leader();
    }

    @Override
    public List<BeatStatus> recentStatus() {
        return status.recent();
    }

    @Override
    public List<String> notReadyReasons() {
        return health.notReadyReasons();
    }

    @Override
    public List<String> healthProblems() {
        return health.healthProblems();
    }

    @Override
    public List<String> liveProblems() {
        return health.liveProblems();
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
                consensus.yieldLeadership(clockGate.peersOff());
            } catch (RuntimeException e) {
                LOG.warn("could not hand leadership over before stopping: {}", e.toString());
            }
        }
        closed = true;
        candidacy.close();
        reporter.close();
        emitter.close();
        frameConnection.close();
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
