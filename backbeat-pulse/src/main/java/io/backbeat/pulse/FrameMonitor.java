package io.backbeat.pulse;

import io.backbeat.api.BeatPhase;
import io.backbeat.api.BeatFrame;
import io.backbeat.api.SchedulingClock;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.api.codec.CodecException;
import io.backbeat.hlc.HlcTimestamp;
import io.backbeat.consensus.Consensus;
import io.backbeat.pulse.metrics.PulseMetrics;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Every node's view of the frames on the wire: arrival against its own copy of the grid (delivery
 * latency, the clock-rate estimate ({@link io.backbeat.api.DriftEstimator}), degradation), and the highest (beat, phase) seen, from which a new
 * leader starts. Frames that do not decode, belong to another cluster or are off the grid are
 * ignored; a frame whose phase starts more than {@link #SEEN_AHEAD_LIMIT_NANOS} ahead of this node's
 * clock does not move the highest pair (one forged frame cannot silence a new leader for long).
 *
 * <p>Only frames a client would accept feed the figures: from the leader and term recorded in the
 * replicated timeline, for a pair not seen before, arriving within {@link #PLAUSIBLE_NANOS} (or a
 * phase, if longer) of its grid instant. Everything else is counted by reason
 * ({@code backbeat_frames_ignored_total}), so forged frames cannot move drift or latency.
 */
final class FrameMonitor {
    static final long SEEN_AHEAD_LIMIT_NANOS = 10_000_000_000L;
    static final long PLAUSIBLE_NANOS = 2_000_000_000L;

    private final String clusterId;
    private final String nodeId;
    private final Consensus consensus;
    private final SchedulingClock clock;
    private final PulseMetrics metrics;
    private final AtomicLong framesObserved = new AtomicLong();
    private final Object lock = new Object();
    private volatile BeatPhase highestSeen;
    private volatile long lastFrameSeenEpoch;
    private volatile boolean leaderFrameArrived;
    private volatile long leaderFrameArrivedNanos;
    private volatile long lastFramePhaseEnd;
    private volatile double lastLagMillis;
    private final io.backbeat.api.DriftEstimator drift = io.backbeat.api.DriftEstimator.defaults();
    private volatile long driftTerm = Long.MIN_VALUE; // the leadership whose frames feed the drift estimate
    private volatile double hlcDriftSeconds;
    private volatile long unconfirmedSinceNanos;
    private BeatPhase lastMeasured; // guarded by lock
    private volatile BeatFrame lastFrame;

    FrameMonitor(String clusterId, String nodeId, Consensus consensus, SchedulingClock clock, PulseMetrics metrics) {
        this.clusterId = clusterId;
        this.nodeId = nodeId;
        this.consensus = consensus;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** One message from the beat subject. */
    void observe(byte[] data) {
        long now = clock.epochNanos();
        BeatFrame f;
        try {
            f = BackbeatCodec.decodeFrame(data);
        } catch (CodecException e) {
            metrics.ignoredFrame("malformed");
            return;
        }
        TimelineDescriptor d = consensus.committedTimeline();
        if (d == null || !f.clusterId().equals(clusterId)) {
            metrics.ignoredFrame("foreign");
            return;
        }
        if (nodeId.equals(f.leaderId())) {
            unconfirmedSinceNanos = 0; // our own frame came back: NATS carries what we publish
        }
        Timeline grid = Timeline.of(d);
        int p = grid.phaseIndexOf(f.phase());
        if (p < 0) {
            metrics.ignoredFrame("off_grid");
            return;
        }
        long start;
        long end;
        try {
            start = grid.phaseStartNanos(f.beatIndex(), p);
            end = grid.deadlineNanos(f.beatIndex(), p);
        } catch (ArithmeticException e) {
            metrics.ignoredFrame("off_grid");
            return;
        }
        if (f.term() < d.term()) {
            metrics.superseded(); // a frame clients drop as stale: a leader that missed its replacement
        }
        if (f.term() != d.term() || !f.leaderId().equals(d.leaderId())) {
            metrics.ignoredFrame("not_leader");
            return;
        }
        // the leader is alive, whether or not this node's clock lets it measure the frame (a node whose clock
        // is 2 s off finds every frame implausible, yet must not take the beat for silent)
        leaderFrameArrivedNanos = clock.nanoTime();
        leaderFrameArrived = true;
        long lag = now - start;
        if (start - now <= SEEN_AHEAD_LIMIT_NANOS) {
            noteSeen(f.beatIndex(), p);
        }
        if (Math.abs(lag) > Math.max(PLAUSIBLE_NANOS, end - start)) {
            metrics.ignoredFrame("implausible");
            return;
        }
        BeatPhase pair = new BeatPhase(f.beatIndex(), p);
        synchronized (lock) {
            if (lastMeasured != null && !pair.isAfter(lastMeasured)) {
                metrics.ignoredFrame("duplicate");
                return;
            }
            lastMeasured = pair;
        }
        framesObserved.incrementAndGet();
        lastFrame = f;
        lastFrameSeenEpoch = now;
        lastFramePhaseEnd = end;
        lastLagMillis = lag / 1e6;
        metrics.delivered(lag);
        if (!nodeId.equals(f.leaderId())) { // our own frames measure our clock against itself
            if (f.term() != driftTerm) {
                drift.reset(); // a new leader's clock: its own offset, a step in the lag
                driftTerm = f.term();
            }
            drift.add(now, lag);
        }
        try {
            hlcDriftSeconds = (HlcTimestamp.parse(f.hlc()).wallMs() - now / 1_000_000L) / 1000.0;
        } catch (IllegalArgumentException ignored) {
            // a frame with a bad HLC still tells us it arrived
        }
    }

    /** Records a pair seen on the wire or published by this node. */
    void noteSeen(long beat, int phase) {
        BeatPhase p = new BeatPhase(beat, phase);
        synchronized (lock) {
            BeatPhase h = highestSeen;
            if (h == null || p.isAfter(h)) {
                highestSeen = p;
            }
        }
    }

    /** This node published a frame: unconfirmed until it comes back on the beat subject. */
    void notePublished() {
        if (unconfirmedSinceNanos == 0) {
            unconfirmedSinceNanos = clock.nanoTime();
        }
    }

    /** Forgets an outstanding publish (a new term starts with none). */
    void clearUnconfirmed() {
        unconfirmedSinceNanos = 0;
    }

    /** Monotonic time of the oldest own publish not seen coming back, 0 when none is outstanding. */
    long unconfirmedSinceNanos() {
        return unconfirmedSinceNanos;
    }

    /** The highest (beat, phase) seen, or null. */
    BeatPhase highestSeen() {
        return highestSeen;
    }

    /** The last frame accepted from the recorded leader, or null. */
    BeatFrame lastFrame() {
        return lastFrame;
    }

    long framesObserved() {
        return framesObserved.get();
    }

    /** Wall-clock epoch nanos of the last frame's arrival, 0 before any. */
    long lastFrameSeenEpoch() {
        return lastFrameSeenEpoch;
    }

    /**
     * {@link SchedulingClock#nanoTime()} of the last arrival of a frame from the committed leader and term,
     * measurable or not (see {@link #leaderFrameArrived()}).
     */
    long leaderFrameArrivedNanos() {
        return leaderFrameArrivedNanos;
    }

    /** Whether a frame from the committed leader and term has arrived yet. */
    boolean leaderFrameArrived() {
        return leaderFrameArrived;
    }

    /** End of the last frame's phase on the grid. */
    long lastFramePhaseEnd() {
        return lastFramePhaseEnd;
    }

    double lastLagMillis() {
        return lastLagMillis;
    }

    /**
     * This node's clock rate error against the leader's frames (positive = fast, 0.01 = 1 %): the slope
     * of the delivery-latency floor over a minute; NaN until fitted (10 s of another leader's frames).
     */
    double driftRatio() {
        java.util.OptionalDouble r = drift.rate();
        return r.isPresent() ? r.getAsDouble() : Double.NaN;
    }

    double hlcDriftSeconds() {
        return hlcDriftSeconds;
    }
}
