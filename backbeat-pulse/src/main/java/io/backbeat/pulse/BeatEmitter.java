package io.backbeat.pulse;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.GridPosition;
import io.backbeat.api.SchedulingClock;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.hlc.HybridLogicalClock;
import io.backbeat.consensus.Consensus;
import io.backbeat.consensus.LeadershipState;
import io.backbeat.pulse.metrics.PulseMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The leader's beat: one frame at the start of every phase of the replicated grid, on one named
 * daemon thread. Every wait is an absolute deadline on the injected {@link SchedulingClock} (wall
 * instants are turned into monotonic ones on each slice, never accumulated), so the emitter runs on
 * the test kit's virtual clock as well as on the system's.
 *
 * <p>Fences, checked in this order right before each publish: leadership and term as consensus
 * sees them now; this node's clock within the bound; no stall of this thread within the last {@link #STALL_QUARANTINE_NANOS}; a leader
 * lease read before the last wait ({@link Consensus#leaseRemainingNanos()}); the phase has not
 * ended. A frame refused by a fence is counted ({@link PulseMetrics#fenced()}) or skipped, never
 * sent late. A new term starts at the next phase boundary and strictly after the highest pair
 * seen on the wire.
 */
final class BeatEmitter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BeatEmitter.class);
    /** The frame is built and encoded this long before its instant. */
    private static final long ENCODE_AHEAD_NANOS = 1_000_000L;
    /** Longest single wait, so leadership and grid changes are noticed within it. */
    private static final long SLICE_NANOS = 20_000_000L;
    /** A gap this long between two wake-ups means the process was stalled (SIGSTOP, GC, starvation). */
    static final long STALL_NANOS = 150_000_000L;
    /**
     * After a stall nothing is published for this long: longer than an election timeout plus a
     * heartbeat round, so a replaced leader learns of the higher term first (a lease alone could be
     * refreshed by the very replies that carry the higher term).
     */
    static final long STALL_QUARANTINE_NANOS = 700_000_000L;

    /** What the emitter needs from the rest of the node. */
    interface Host {
        /** Why this node may not lead (its clock off the cluster's, its log unwritable): it hands over. Or null. */
        String clockProblem();

        /** Why this leader must not publish yet without handing over (its clock not measured yet), or null. */
        String holdReason();

        /** The highest term this node has seen anywhere. */
        long highestTerm();

        /** The highest (beat, phase) seen on the wire, or null. */
        PhasePair highestSeen();

        /** A frame is being sent now (called right before the send, which may still be refused). */
        void published(long beat, int phase);

        /** Asks for leadership to move elsewhere (asynchronous, rate-limited by the host). */
        void handOver(String why);

        /**
         * {@link SchedulingClock#nanoTime()} of the oldest publish not yet seen coming back on the beat
         * subject, 0 when every publish has come back: frames that leave but never arrive (a
         * half-open connection, a partition between this node and its NATS server) show here long
         * before the client library notices.
         */
        long unconfirmedSinceNanos();

        /**
         * This leader's frames vanish on the way to NATS: drop the connection at once, discarding what
         * the socket still holds (so nothing arrives late once the path heals), and hand over.
         */
        void framesVanish(String why);
    }

    /** Where frames go: the NATS connection in production, a recorder in tests. */
    interface Sink {
        boolean connected();

        /** The connection's state, for messages. */
        String status();

        /**
         * Work done for {@code frame} ahead of its instant, outside the spin (its signature, say);
         * passed back to {@link #publish(byte[], Object)}. The default does nothing.
         */
        default Object prepare(byte[] frame) {
            return null;
        }

        /** Sends now or throws {@link IllegalStateException}: never buffers for later. */
        void publish(byte[] frame);

        /** As {@link #publish(byte[])}, with what {@link #prepare} made for this frame. */
        default void publish(byte[] frame, Object prepared) {
            publish(frame);
        }
    }

    private final String clusterId;
    private final String nodeId;
    private final Consensus consensus;
    private final Sink sink;
    private final PulseMetrics metrics;
    private final SchedulingClock clock;
    private final HybridLogicalClock hlc;
    private final Host host;
    private final TimelineDescriptor warmUpSample;
    private final Thread thread;
    private final java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean closed;
    private volatile long lastPublishNanos;
    private long natsDownSinceNanos;
    private long lastTickNanos;
    private long quarantineUntilNanos;
    private long lastStallNanos;
    private long lastFenceLogNanos;

    BeatEmitter(String clusterId, String nodeId, Consensus consensus, Sink sink, PulseMetrics metrics,
                SchedulingClock clock, HybridLogicalClock hlc, Host host, double bpm, int bar, List<String> phases) {
        this.clusterId = clusterId;
        this.nodeId = nodeId;
        this.consensus = consensus;
        this.sink = sink;
        this.metrics = metrics;
        this.clock = clock;
        this.hlc = hlc;
        this.host = host;
        this.warmUpSample = TimelineDescriptor.initial(clusterId, 0, bpm, bar, phases);
        this.thread = new Thread(this::run, "backbeat-emitter-" + nodeId);
        this.thread.setDaemon(true);
    }

    /**
     * Starts the thread and returns once it has read the clock (so a virtual clock counts it in
     * before the caller's first advance).
     */
    void start() {
        thread.start();
        try {
            running.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isAlive() {
        return thread.isAlive();
    }

    /** {@link SchedulingClock#nanoTime()} of the last publish, 0 before any. */
    long lastPublishNanos() {
        return lastPublishNanos;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        lastTickNanos = clock.nanoTime();
        running.countDown();
        try {
            warmUp();
        } catch (RuntimeException e) {
            LOG.debug("emitter warm-up failed (continuing cold)", e);
        }
        lastTickNanos = clock.nanoTime(); // the warm-up is not a stall
        quarantineUntilNanos = lastTickNanos;
        lastFenceLogNanos = lastTickNanos - 1_000_000_000L;
        GridPosition last = null;
        long lastTerm = -1;
        while (!closed) {
            try {
                tick();
                LeadershipState s = consensus.leadership();
                TimelineDescriptor d = consensus.committedTimeline();
                if (!s.leader() || d == null || d.term() != s.term() || !d.leaderId().equals(nodeId)
                        || s.term() < host.highestTerm()) {
                    last = null;
                    pause(SLICE_NANOS);
                    continue;
                }
                if (host.holdReason() != null) {
                    last = null;
                    pause(SLICE_NANOS);
                    continue;
                }
                String handOver = reasonToHandOver(d);
                if (handOver != null) {
                    host.handOver(handOver);
                    if (host.clockProblem() != null) {
                        last = null; // a skewed clock publishes nothing, not even while handing over
                        pause(SLICE_NANOS);
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
                    last = skipEnded(grid, target, now);
                    continue;
                }
                if (!sleepUntilEpoch(target.phaseStartNanos() - ENCODE_AHEAD_NANOS, d)) {
                    continue; // leadership or grid changed while waiting: re-plan
                }
                long e0 = System.nanoTime();
                BeatFrame frame = BeatFrame.at(grid, target, hlc.now().toString(), nodeId, s.term());
                byte[] payload = BackbeatCodec.encodeFrame(frame);
                Object prepared = sink.prepare(payload); // e.g. signed here, not at the instant
                long encodeNanos = System.nanoTime() - e0;
                // the clock is read before the lease: a stall anywhere after this line expires the lease
                long leaseFrom = clock.nanoTime();
                long leaseEnd = leaseFrom + Math.min(consensus.leaseRemainingNanos(), Long.MAX_VALUE / 4);
                sleepUntilEpoch(target.phaseStartNanos(), null);
                tick();
                last = target;
                if (!fencesPass(target, s)) {
                    if (!consensus.leadership().leader()) {
                        last = null;
                    }
                    continue;
                }
                if (clock.nanoTime() - leaseEnd >= 0) {
                    // no majority has confirmed this leadership recently enough: another node may lead already
                    fenced(target, "no leader lease (a majority has not confirmed this leadership within the "
                            + "lease; peers unreachable, or this node was stalled)");
                    continue;
                }
                long publishEpoch = clock.epochNanos();
                if (publishEpoch >= target.deadlineNanos()) {
                    metrics.skipped(1);
                    continue;
                }
                publish(target, payload, prepared, encodeNanos, publishEpoch);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("emitter error (continuing)", e);
                try {
                    pause(10_000_000L);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Leadership, term and stall fences right before a publish. */
    private boolean fencesPass(GridPosition target, LeadershipState planned) {
        LeadershipState now = consensus.leadership();
        if (!now.leader() || now.term() != planned.term() || now.term() < host.highestTerm()) {
            LOG.info("{} lost leadership before beat {} {}: not publishing", nodeId, target.beatIndex(), target.phase());
            return false;
        }
        String clockWhy = host.clockProblem() != null ? host.clockProblem() : host.holdReason();
        if (clockWhy != null) {
            fenced(target, clockWhy);
            return false;
        }
        if (clock.nanoTime() - quarantineUntilNanos < 0) {
            fenced(target, "woke from a stall of " + lastStallNanos / 1_000_000 + " ms; waiting out the election "
                    + "timeout before publishing again");
            return false;
        }
        return true;
    }

    private void publish(GridPosition target, byte[] payload, Object prepared, long encodeNanos, long publishEpoch) {
        if (!sink.connected()) {
            metrics.skipped(1); // never buffered for a late delivery
            return;
        }
        long t0 = System.nanoTime();
        // told before the send: the frame's echo can arrive before publish() returns
        host.published(target.beatIndex(), target.phaseIndex());
        try {
            sink.publish(payload, prepared);
        } catch (IllegalStateException e) {
            // the connection dropped between the check and the publish; with no reconnect buffer jnats
            // refuses the frame rather than hold it for a late delivery
            metrics.skipped(1);
            return;
        }
        lastPublishNanos = clock.nanoTime();
        metrics.published(encodeNanos + System.nanoTime() - t0, publishEpoch - target.phaseStartNanos());
    }

    /** Phases that ended while we were paused are never published late: counted, and the plan moves on. */
    private GridPosition skipEnded(Timeline grid, GridPosition target, long now) {
        GridPosition current = grid.positionAt(now);
        long skippedPhases = Math.max(1, countBetween(grid, target, current));
        metrics.skipped(skippedPhases);
        LOG.warn("skipped {} phase(s) that ended before they could be published (beat {} {} .. beat {} {})",
                skippedPhases, target.beatIndex(), target.phase(), current.beatIndex(), current.phase());
        return previous(grid, grid.position(current.beatIndex(), current.phaseIndex()));
    }

    /** The first phase a new term publishes: the next phase boundary, and strictly after any pair already seen. */
    private GridPosition firstOfTerm(Timeline grid, TimelineDescriptor d, long now) {
        // never before the anchor: a fresh cluster's first beat is beat 0 at its anchor, not a negative index
        GridPosition target = grid.nextPhaseAfter(Math.max(now, d.anchorTimeNanos() - 1));
        PhasePair seen = host.highestSeen();
        if (seen != null && !new PhasePair(target.beatIndex(), target.phaseIndex()).isAfter(seen)) {
            GridPosition after = grid.following(grid.position(seen.beat(), seen.phase()));
            LOG.info("{} starts its term after beat {} phase {} already seen (not at beat {} phase {})", nodeId,
                    seen.beat(), seen.phase(), target.beatIndex(), target.phaseIndex());
            target = after;
        }
        return target;
    }

    /** Why this leader should give its leadership away now (null: no reason). */
    private String reasonToHandOver(TimelineDescriptor d) {
        String clockWhy = host.clockProblem();
        if (clockWhy != null) {
            return clockWhy;
        }
        long now = clock.nanoTime();
        long limit = Math.max(phaseNanosNow(d), 250_000_000L);
        if (sink.connected()) {
            natsDownSinceNanos = 0;
            long unconfirmed = host.unconfirmedSinceNanos();
            if (unconfirmed != 0 && now - unconfirmed > limit) {
                String why = "this node's frames have not come back from NATS for " + (now - unconfirmed) / 1_000_000
                        + " ms";
                host.framesVanish(why);
                return why;
            }
            return null;
        }
        if (natsDownSinceNanos == 0) {
            natsDownSinceNanos = now;
            return null;
        }
        if (now - natsDownSinceNanos > limit) {
            return "NATS " + sink.status() + " for " + (now - natsDownSinceNanos) / 1_000_000 + " ms";
        }
        return null;
    }

    /** The length of the phase in force now on {@code d}'s grid. */
    long phaseNanosNow(TimelineDescriptor d) {
        try {
            GridPosition p = Timeline.of(d).positionAt(Math.max(clock.epochNanos(), d.anchorTimeNanos()));
            return p.deadlineNanos() - p.phaseStartNanos();
        } catch (ArithmeticException e) {
            return 1_000_000_000L;
        }
    }

    /** Notes a stall when this thread was away far longer than it meant to wait. */
    private void tick() {
        long now = clock.nanoTime();
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
        long now = clock.nanoTime();
        if (now - lastFenceLogNanos > 1_000_000_000L) {
            lastFenceLogNanos = now;
            LOG.warn("{} refused to publish beat {} {}: {}", nodeId, target.beatIndex(), target.phase(), why);
        }
    }

    /**
     * Waits until the wall clock reaches {@code epochNanos}, in slices of at most {@link #SLICE_NANOS}
     * (the monotonic deadline is re-derived from the wall clock for every slice: absolute, never
     * accumulated). With a {@code planned} descriptor, returns {@code false} as soon as leadership or
     * the descriptor changes.
     */
    private boolean sleepUntilEpoch(long epochNanos, TimelineDescriptor planned) throws InterruptedException {
        while (!closed) {
            long left = epochNanos - clock.epochNanos();
            if (left <= 0) {
                return true;
            }
            clock.sleepUntil(clock.nanoTime() + Math.min(left, SLICE_NANOS));
            if (planned != null) {
                tick();
                if (!consensus.leadership().leader() || consensus.committedTimeline() != planned) {
                    return false;
                }
            }
        }
        return false;
    }

    private void pause(long nanos) throws InterruptedException {
        clock.sleepUntil(clock.nanoTime() + nanos);
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
     * Runs the frame encoder until the JIT has compiled it, so the first beats do not pay for
     * interpretation (at 6 frames a second it would otherwise take minutes to get hot).
     */
    private void warmUp() {
        Timeline grid = Timeline.of(warmUpSample);
        long sink = 0;
        GridPosition p = grid.positionAt(warmUpSample.anchorTimeNanos());
        for (int i = 0; i < 20_000 && !closed; i++) {
            BeatFrame f = BeatFrame.at(grid, p, hlc.now().toString(), nodeId, 1);
            sink += BackbeatCodec.encodeFrame(f).length;
            p = grid.following(p);
        }
        LOG.debug("emitter warm ({} bytes encoded)", sink);
    }
}
