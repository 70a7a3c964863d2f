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
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
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
 * committed and strictly after the highest (beat, phase) this node has seen published, so no pair is
 * published twice or backwards across terms, whatever the clocks of the old and new leader say.
 *
 * <p>A leader publishes only within its lease ({@link Consensus#leaseRemainingNanos()}): a majority
 * confirmed its leadership more recently than any follower could have started an election. A
 * frame refused for lack of a lease is counted ({@code backbeat_frames_fenced_total}) and logged.
 * A leader that cannot do its job hands leadership to another member: when NATS has been down for
 * longer than a phase, when its clock is off the cluster's by more than the configured bound, or
 * when its take-over cannot be committed (a full disk, for instance).
 */
public final class PulseNode implements PulseAdmin, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class);
    private static final long SPIN_NANOS = 1_000_000L;
    /** A frame whose phase starts further ahead than this (by our clock) does not move {@link #highestSeen}. */
    private static final long SEEN_AHEAD_LIMIT_NANOS = 10_000_000_000L;
    /** A take-over not committed after this long makes the leader hand over. */
    private static final long TAKE_OVER_PATIENCE_NANOS = 1_000_000_000L;
    /** At most one hand-over attempt per this interval. */
    private static final long HAND_OVER_COOLDOWN_NANOS = 3_000_000_000L;
    /** A gap this long between two wake-ups of the emitter means the process was stalled (SIGSTOP, GC, starvation). */
    private static final long STALL_NANOS = 150_000_000L;
    /**
     * After a stall the emitter publishes nothing for this long: longer than an election timeout plus
     * a heartbeat round, so a node that was replaced meanwhile learns of the higher term first (a
     * lease alone could be refreshed by the very replies that carry the higher term).
     */
    private static final long STALL_QUARANTINE_NANOS = 700_000_000L;
    /** A problem (commit failure) is reported by /health for this long after it was last seen. */
    private static final long PROBLEM_MEMORY_NANOS = 10_000_000_000L;

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
    /** The highest (beat, phase) seen on the wire or published by this node, or null. */
    private volatile Pair highestSeen;
    private final AtomicBoolean handingOver = new AtomicBoolean();
    private volatile long lastHandOverNanos = System.nanoTime() - HAND_OVER_COOLDOWN_NANOS;
    private volatile long natsDownSinceNanos;
    private volatile long leaderSinceNanos;
    private volatile long lastPublishNanos;
    private volatile long lastFenceLogNanos = System.nanoTime() - 1_000_000_000L;
    private volatile String commitProblem;
    private volatile long commitProblemNanos;
    private long lastTickNanos = System.nanoTime();
    private long quarantineUntilNanos = System.nanoTime();
    private long lastStallNanos;
    private volatile Supplier<OptionalLong> clockOffset = OptionalLong::empty;
    private volatile Duration maxClockOffset = Duration.ofMillis(100);

    /** A (beat, phase index) pair, ordered. */
    private record Pair(long beat, int phase) {
        boolean isAfter(Pair o) {
            return beat != o.beat ? beat > o.beat : phase > o.phase;
        }
    }

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

    /**
     * Clock discipline: {@code offset} gives this node's clock minus the cluster's (nanoseconds,
     * empty while unknown); a node whose offset exceeds {@code bound} does not publish, hands its
     * leadership over and reports itself not ready. Call before {@link #start()}.
     */
    public void clockDiscipline(Supplier<OptionalLong> offset, Duration bound) {
        this.clockOffset = offset;
        this.maxClockOffset = bound;
    }

    /** The clock problem, or null when the offset is unknown or within the bound. */
    String clockProblem() {
        OptionalLong o = clockOffset.get();
        if (o.isPresent() && Math.abs(o.getAsLong()) > maxClockOffset.toNanos()) {
            return String.format("clock offset %+.1f ms to the cluster exceeds the bound of %d ms (--max-clock-offset)",
                    o.getAsLong() / 1e6, maxClockOffset.toMillis());
        }
        return null;
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
        if (s.leader() && !wasLeader) {
            leaderSinceNanos = System.nanoTime();
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
        long began = System.nanoTime();
        while (!closed && System.nanoTime() - began < 30_000_000_000L) {
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
                consensus.submit(new TimelineCommand.AssumeLeadership(term, nodeId)).get(1, TimeUnit.SECONDS);
                synchronized (wake) {
                    wake.notifyAll();
                }
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
                LockSupport.parkNanos(20_000_000L);
            }
        }
    }

    private void noteCommitProblem(String what) {
        commitProblem = what;
        commitProblemNanos = System.nanoTime();
    }

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

    /** Whether this leader should give its leadership away now, and why (null: no). */
    private String reasonToHandOver(TimelineDescriptor d) {
        String clock = clockProblem();
        if (clock != null) {
            return clock;
        }
        if (nats.getStatus() != Connection.Status.CONNECTED) {
            long since = natsDownSinceNanos;
            if (since == 0) {
                natsDownSinceNanos = System.nanoTime();
            } else {
                long phase = phaseNanosNow(d);
                if (System.nanoTime() - since > Math.max(phase, 250_000_000L)) {
                    return "NATS " + nats.getStatus() + " for " + (System.nanoTime() - since) / 1_000_000 + " ms";
                }
            }
        } else {
            natsDownSinceNanos = 0;
        }
        return null;
    }

    /** The length of the phase in force now on {@code d}'s grid. */
    private long phaseNanosNow(TimelineDescriptor d) {
        try {
            GridPosition p = Timeline.of(d).positionAt(Math.max(clock.epochNanos(), d.anchorTimeNanos()));
            return p.deadlineNanos() - p.phaseStartNanos();
        } catch (ArithmeticException e) {
            return 1_000_000_000L;
        }
    }

    /** The first phase a new term publishes: the next phase boundary, and strictly after any pair already seen. */
    private GridPosition firstOfTerm(Timeline grid, TimelineDescriptor d, long now) {
        // never before the anchor: a fresh cluster's first beat is beat 0 at its anchor, not a negative index
        GridPosition target = grid.nextPhaseAfter(Math.max(now, d.anchorTimeNanos() - 1));
        Pair seen = highestSeen;
        if (seen != null && !new Pair(target.beatIndex(), target.phaseIndex()).isAfter(seen)) {
            GridPosition after = grid.following(grid.position(seen.beat(), seen.phase()));
            LOG.info("{} starts its term after beat {} phase {} already seen (not at beat {} phase {})", nodeId,
                    seen.beat(), seen.phase(), target.beatIndex(), target.phaseIndex());
            target = after;
        }
        return target;
    }

    private void noteSeen(long beat, int phase) {
        Pair p = new Pair(beat, phase);
        synchronized (wake) {
            Pair h = highestSeen;
            if (h == null || p.isAfter(h)) {
                highestSeen = p;
            }
        }
    }

    /** Called by the emitter after every wait: notes a stall when the thread was away far longer than it waited. */
    private void tick() {
        long now = System.nanoTime();
        long gap = now - lastTickNanos;
        lastTickNanos = now;
        if (gap > STALL_NANOS) {
            lastStallNanos = gap;
            quarantineUntilNanos = now + STALL_QUARANTINE_NANOS;
            LOG.warn("{}: the emitter was stalled for {} ms (process paused, GC or CPU starvation); publishing nothing "
                    + "for {} ms", nodeId, gap / 1_000_000, STALL_QUARANTINE_NANOS / 1_000_000);
        }
    }

    private void fenced(GridPosition target, String why) {
        metrics.fenced();
        long now = System.nanoTime();
        if (now - lastFenceLogNanos > 1_000_000_000L) {
            lastFenceLogNanos = now;
            LOG.warn("{} refused to publish beat {} {}: {}", nodeId, target.beatIndex(), target.phase(), why);
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
        lastTickNanos = System.nanoTime(); // the warm-up is not a stall
        quarantineUntilNanos = lastTickNanos;
        while (!closed) {
            try {
                tick();
                LeadershipState s = consensus.leadership();
                TimelineDescriptor d = consensus.committedTimeline();
                if (!s.leader() || d == null || d.term() != s.term() || !d.leaderId().equals(nodeId)
                        || s.term() < highestTerm) {
                    last = null;
                    waitForChange(20);
                    continue;
                }
                String handOver = reasonToHandOver(d);
                if (handOver != null) {
                    requestHandOver(handOver);
                    if (clockProblem() != null) {
                        last = null; // a skewed clock publishes nothing, not even while handing over
                        waitForChange(20);
                        continue;
                    }
                }
                if (s.term() != lastTerm) {
                    last = null; // a new term starts at the next phase boundary
                    lastTerm = s.term();
                }
                Timeline grid = Timeline.of(d);
                long now = clock.epochNanos();
                GridPosition target = last == null ? firstOfTerm(grid, d, now) : grid.following(last);
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
                // the clock is read before the lease: a stall anywhere after this line expires the lease
                long leaseFrom = System.nanoTime();
                long leaseEnd = leaseFrom + Math.min(consensus.leaseRemainingNanos(), Long.MAX_VALUE / 4);
                spinUntilEpoch(target.phaseStartNanos());
                // fencing: re-read leadership right before publishing
                LeadershipState now2 = consensus.leadership();
                if (!now2.leader() || now2.term() != s.term() || now2.term() < highestTerm) {
                    LOG.info("{} lost leadership before beat {} {}: not publishing", nodeId, target.beatIndex(),
                            target.phase());
                    last = null;
                    continue;
                }
                tick();
                if (System.nanoTime() - quarantineUntilNanos < 0) {
                    fenced(target, "woke from a stall of " + lastStallNanos / 1_000_000 + " ms; waiting out the "
                            + "election timeout before publishing again");
                    last = target;
                    continue;
                }
                if (System.nanoTime() - leaseEnd >= 0) {
                    // no majority has confirmed this leadership recently enough: another node may lead already
                    fenced(target, "no leader lease (a majority has not confirmed this leadership within "
                            + "the lease; peers unreachable, or this node was stalled)");
                    last = target;
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
                        lastPublishNanos = System.nanoTime();
                        noteSeen(target.beatIndex(), target.phaseIndex());
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
            tick();
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
        if (start - now <= SEEN_AHEAD_LIMIT_NANOS) {
            noteSeen(f.beatIndex(), p);
        }
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
        long seen = lastFrameSeenEpoch;
        boolean degraded = seen == 0 || now > lastFramePhaseEnd + grace.toNanos();
        double percent = driftRatio * 100;
        OptionalLong offset = clockOffset.get();
        boolean clockOk = clockProblem() == null;
        return new DriftStatus(percent, hlcDriftSeconds, seen == 0 ? null : EpochNanos.toInstant(seen).toString(),
                degraded, percent <= 1.0 && !degraded && clockOk, framesObserved.get(), lastLagMillis,
                offset.isPresent() ? offset.getAsLong() / 1e9 : null, maxClockOffset.toNanos() / 1e9);
    }

    @Override
    public LeaderStatus leader() {
        LeadershipState s = consensus.leadership();
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("beats_published", metrics.beatsPublished());
        stats.put("frames_skipped", metrics.framesSkipped());
        stats.put("frames_fenced", metrics.framesFenced());
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
        String clockWhy = clockProblem();
        if (clockWhy != null) {
            why.add(clockWhy);
        }
        return why;
    }

    @Override
    public List<String> healthProblems() {
        List<String> why = new ArrayList<>(notReadyReasons());
        long now = System.nanoTime();
        String commit = commitProblem;
        if (commit != null && now - commitProblemNanos < PROBLEM_MEMORY_NANOS) {
            why.add(commit);
        }
        TimelineDescriptor d = consensus.committedTimeline();
        if (consensus.leadership().leader() && d != null) {
            long phase = phaseNanosNow(d);
            long quiet = now - Math.max(lastPublishNanos, leaderSinceNanos);
            if (quiet > phase + grace.toNanos()) {
                why.add("this node leads but has published no frame for " + quiet / 1_000_000 + " ms"
                        + (consensus.leaseRemainingNanos() <= 0 ? " (no majority lease: peers unreachable?)" : ""));
            }
        }
        if (!emitter.isAlive() && !closed) {
            why.add("the emitter thread has stopped");
        }
        return why;
    }

    @Override
    public List<String> liveProblems() {
        return closed || !emitter.isAlive() ? List.of("the emitter thread has stopped") : List.of();
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
            emitter.join(500);
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
