package io.backbeat.pulse;

import io.backbeat.api.BeatPhase;
import io.backbeat.api.FrameSchedule;
import io.backbeat.api.GridPosition;
import io.backbeat.api.SchedulingClock;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
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
 * sees them now; this node's clock within the bound; no stall of this thread within the last
 * {@link EmitterFences#STALL_QUARANTINE_NANOS}; a leader lease read before the last wait
 * ({@link Consensus#leaseRemainingNanos()}); the phase has not ended. A frame refused by a fence is
 * counted ({@link PulseMetrics#fenced()}) or skipped, never sent late. A new term starts at the next
 * phase boundary and strictly after the highest pair seen on the wire.
 *
 * <p>This class is the host loop: which (beat, phase) comes next and when is
 * {@link FrameSchedule}'s answer (the rule every publisher shares), the fences are
 * {@link EmitterFences}, the frames' encoding and sending {@link FramePublisher}.
 */
final class BeatEmitter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BeatEmitter.class);
    /** The frame is built and encoded this long before its instant. */
    private static final long ENCODE_AHEAD_NANOS = 1_000_000L;
    /** Longest single wait, so leadership and grid changes are noticed within it. */
    private static final long SLICE_NANOS = 20_000_000L;

    /** What the emitter needs from the rest of the node. */
    interface Host {
        /** Why this node may not lead (its clock off the cluster's, its log unwritable): it hands over. Or null. */
        String clockProblem();

        /** Why this leader must not publish yet without handing over (its clock not measured yet), or null. */
        String holdReason();

        /** The highest term this node has seen anywhere. */
        long highestTerm();

        /** The highest (beat, phase) seen on the wire, or null. */
        BeatPhase highestSeen();

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

    private final String nodeId;
    private final Consensus consensus;
    private final PulseMetrics metrics;
    private final SchedulingClock clock;
    private final Host host;
    private final EmitterFences fences;
    private final FramePublisher frames;
    private final Thread thread;
    private final java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean closed;

    BeatEmitter(String clusterId, String nodeId, Consensus consensus, Sink sink, PulseMetrics metrics,
                SchedulingClock clock, HybridLogicalClock hlc, Host host, double bpm, int bar, List<String> phases) {
        this.nodeId = nodeId;
        this.consensus = consensus;
        this.metrics = metrics;
        this.clock = clock;
        this.host = host;
        this.fences = new EmitterFences(nodeId, consensus, sink, metrics, clock, host);
        this.frames = new FramePublisher(nodeId, sink, metrics, clock, hlc, host,
                TimelineDescriptor.initial(clusterId, 0, bpm, bar, phases));
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
        return frames.lastPublishNanos();
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
        fences.started();
        running.countDown();
        try {
            frames.warmUp(() -> closed);
        } catch (RuntimeException e) {
            LOG.debug("emitter warm-up failed (continuing cold)", e);
        }
        fences.warm(); // the warm-up is not a stall
        BeatPhase last = null; // the last pair published or passed over in this term, null at a term's start
        long lastTerm = -1;
        while (!closed) {
            try {
                fences.tick();
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
                String handOver = fences.handOverReason(d);
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
                BeatPhase floor = last == null ? floorOfTerm(grid) : null;
                long now = clock.epochNanos();
                FrameSchedule.Emission next = FrameSchedule.next(grid, last, floor, now);
                if (floor != null) {
                    logLateStart(grid, floor, next, now);
                }
                if (next.skippedPhases() > 0) {
                    last = skipped(grid, next);
                    continue;
                }
                GridPosition target = next.position();
                if (!sleepUntilEpoch(target.phaseStartNanos() - ENCODE_AHEAD_NANOS, d)) {
                    continue; // leadership or grid changed while waiting: re-plan
                }
                FramePublisher.Encoded frame = frames.encode(grid, target, s.term());
                // the clock is read before the lease: a stall anywhere after this line expires the lease
                long leaseFrom = clock.nanoTime();
                long leaseEnd = leaseFrom + Math.min(consensus.leaseRemainingNanos(), Long.MAX_VALUE / 4);
                sleepUntilEpoch(target.phaseStartNanos(), null);
                fences.tick();
                last = next.pair();
                if (!fences.pass(target, s)) {
                    if (!consensus.leadership().leader()) {
                        last = null;
                    }
                    continue;
                }
                if (clock.nanoTime() - leaseEnd >= 0) {
                    // no majority has confirmed this leadership recently enough: another node may lead already
                    fences.fenced(target, "no leader lease (a majority has not confirmed this leadership within the "
                            + "lease; peers unreachable, or this node was stalled)");
                    continue;
                }
                long publishEpoch = clock.epochNanos();
                if (next.endedAt(publishEpoch)) {
                    metrics.skipped(1);
                    continue;
                }
                frames.publish(target, frame, publishEpoch);
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

    /**
     * Phases that ended while this thread was away are never published late: counted, and the plan
     * moves on to the phase in progress (re-checked from the top, as every plan is). Returns the pair
     * the plan continues after.
     */
    private BeatPhase skipped(Timeline grid, FrameSchedule.Emission next) {
        metrics.skipped(next.skippedPhases());
        LOG.warn("skipped {} phase(s) that ended before they could be published (resuming at beat {} {})",
                next.skippedPhases(), next.position().beatIndex(), next.position().phase());
        return next.pair().preceding(grid.phases().size());
    }

    /**
     * A new term starts strictly after the highest pair already seen on the wire, and never before
     * the anchor (a fresh cluster's first beat is beat 0 at its anchor, not a negative index).
     */
    private BeatPhase floorOfTerm(Timeline grid) {
        BeatPhase floor = FrameSchedule.beforeAnchor(grid);
        BeatPhase seen = host.highestSeen();
        if (seen != null && seen.isAfter(floor)) {
            return seen;
        }
        return floor;
    }

    /** Says so when the pair already seen, not the next phase boundary or the anchor, decided where a term starts. */
    private void logLateStart(Timeline grid, BeatPhase floor, FrameSchedule.Emission first, long now) {
        BeatPhase before = first.pair().preceding(grid.phases().size());
        long boundaryAfter = Math.max(now, grid.descriptor().anchorTimeNanos() - 1);
        if (grid.phaseStartNanos(before.beatIndex(), before.phaseIndex()) > boundaryAfter) {
            LOG.info("{} starts its term after beat {} phase {} already seen (at beat {} phase {}, not at the next "
                    + "phase boundary)", nodeId, floor.beatIndex(), floor.phaseIndex(), first.position().beatIndex(),
                    first.position().phaseIndex());
        }
    }

    /** The length of the phase in force now on {@code d}'s grid. */
    long phaseNanosNow(TimelineDescriptor d) {
        return phaseNanos(d, clock.epochNanos());
    }

    /** The length of the phase in force at {@code epochNanos} (at the anchor before it) on {@code d}'s grid. */
    static long phaseNanos(TimelineDescriptor d, long epochNanos) {
        try {
            GridPosition p = Timeline.of(d).positionAt(Math.max(epochNanos, d.anchorTimeNanos()));
            return p.deadlineNanos() - p.phaseStartNanos();
        } catch (ArithmeticException e) {
            return 1_000_000_000L;
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
                fences.tick();
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
}
