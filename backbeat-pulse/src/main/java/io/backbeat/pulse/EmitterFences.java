package io.backbeat.pulse;

import io.backbeat.api.GridPosition;
import io.backbeat.api.SchedulingClock;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.consensus.Consensus;
import io.backbeat.consensus.LeadershipState;
import io.backbeat.pulse.metrics.PulseMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link BeatEmitter}'s fences: leadership, term, clock and stall checked right before each
 * publish, the stall detector and its quarantine, the count and (rate-limited) log of refused
 * frames, and the reasons a leader should hand over (its clock or log, NATS down or its frames not
 * coming back). Confined to the emitter thread.
 */
final class EmitterFences {
    private static final Logger LOG = LoggerFactory.getLogger(BeatEmitter.class); // its log lines, as before
    /** A gap this long between two wake-ups means the process was stalled (SIGSTOP, GC, starvation). */
    static final long STALL_NANOS = 150_000_000L;
    /**
     * After a stall nothing is published for this long: longer than an election timeout plus a
     * heartbeat round, so a replaced leader learns of the higher term first (a lease alone could be
     * refreshed by the very replies that carry the higher term).
     */
    static final long STALL_QUARANTINE_NANOS = 700_000_000L;

    private final String nodeId;
    private final Consensus consensus;
    private final BeatEmitter.Sink sink;
    private final PulseMetrics metrics;
    private final SchedulingClock clock;
    private final BeatEmitter.Host host;
    private long natsDownSinceNanos;
    private long lastTickNanos;
    private long quarantineUntilNanos;
    private long lastStallNanos;
    private long lastFenceLogNanos;

    EmitterFences(String nodeId, Consensus consensus, BeatEmitter.Sink sink, PulseMetrics metrics,
                  SchedulingClock clock, BeatEmitter.Host host) {
        this.nodeId = nodeId;
        this.consensus = consensus;
        this.sink = sink;
        this.metrics = metrics;
        this.clock = clock;
        this.host = host;
    }

    /** The thread's first clock read. */
    void started() {
        lastTickNanos = clock.nanoTime();
    }

    /** After the warm-up: it is not a stall, and the first refused frame is logged. */
    void warm() {
        lastTickNanos = clock.nanoTime();
        quarantineUntilNanos = lastTickNanos;
        lastFenceLogNanos = lastTickNanos - 1_000_000_000L;
    }

    /** Leadership, term and stall fences right before a publish. */
    boolean pass(GridPosition target, LeadershipState planned) {
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

    /** Why this leader should give its leadership away now (null: no reason). */
    String handOverReason(TimelineDescriptor d) {
        String clockWhy = host.clockProblem();
        if (clockWhy != null) {
            return clockWhy;
        }
        long now = clock.nanoTime();
        long limit = Math.max(BeatEmitter.phaseNanos(d, clock.epochNanos()), 250_000_000L);
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

    /** Notes a stall when this thread was away far longer than it meant to wait. */
    void tick() {
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

    /** A frame refused by a fence: counted, logged at most once a second. */
    void fenced(GridPosition target, String why) {
        metrics.fenced();
        long now = clock.nanoTime();
        if (now - lastFenceLogNanos > 1_000_000_000L) {
            lastFenceLogNanos = now;
            LOG.warn("{} refused to publish beat {} {}: {}", nodeId, target.beatIndex(), target.phase(), why);
        }
    }
}
