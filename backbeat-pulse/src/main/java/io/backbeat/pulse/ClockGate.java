package io.backbeat.pulse;

import io.backbeat.consensus.Consensus;
import io.backbeat.pulse.clock.ClockJudge;
import io.backbeat.pulse.clock.ClockVerdict;

import java.time.Duration;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * This node's clock discipline: the {@link ClockJudge} and the bound set by
 * {@link PulseNode#clockDiscipline}, its verdict (cached briefly), and what that verdict means for
 * the node: a problem (skewed: no leading, not ready) or a hold (not measured or undecided yet in a
 * cluster of several members: no publishing). Without discipline the clock is always trusted.
 */
final class ClockGate {
    /** A verdict is reused for this long. */
    static final long VERDICT_REUSE_MS = 10;

    private final String clusterId;
    private final Consensus consensus;
    private volatile ClockJudge judge = (bound, size) -> new ClockVerdict(ClockVerdict.Status.TRUSTED,
            OptionalLong.empty(), 0, 0, "clock discipline off");
    private volatile boolean disciplined;
    private volatile Duration maxOffset = Duration.ofMillis(100);
    private volatile CachedVerdict cached;

    private record CachedVerdict(long atNanos, ClockVerdict verdict) {
    }

    ClockGate(String clusterId, Consensus consensus) {
        this.clusterId = clusterId;
        this.consensus = consensus;
    }

    /** Turns the discipline on: {@code judge} decides, {@code bound} is the largest offset allowed. */
    void discipline(ClockJudge judge, Duration bound) {
        this.judge = java.util.Objects.requireNonNull(judge, "judge");
        this.cached = null;
        this.maxOffset = bound;
        this.disciplined = true;
    }

    boolean disciplined() {
        return disciplined;
    }

    /** The largest offset to the cluster at which this node may lead ({@code --max-clock-offset}). */
    Duration maxOffset() {
        return maxOffset;
    }

    /** What the verdict rests on (each peer's samples), for a log line; empty without discipline. */
    String evidence() {
        return judge.evidence();
    }

    /** The peers whose clocks are off this trusted clock by more than the bound (hand-overs try them last). */
    java.util.Set<String> peersOff() {
        if (!disciplined) {
            return java.util.Set.of();
        }
        return judge.peersOff(maxOffset.toNanos(), Math.max(1, consensus.leadership().clusterSize()));
    }

    /** The log positions peers told in clock replies within {@code withinNanos} (see {@link ClockJudge}). */
    java.util.Map<String, io.backbeat.consensus.LogPosition> peerLogPositions(long withinNanos) {
        return judge.peerLogPositions(withinNanos);
    }

    /** This clock's rate error against the peers' clocks, when measured. */
    OptionalDouble peerRate() {
        return judge.rate();
    }

    /**
     * The clock verdict now, reused for {@value #VERDICT_REUSE_MS} ms: the emitter asks up to four times a
     * phase and the metrics and admin threads too, while the offsets change only with each probe (500 ms).
     */
    ClockVerdict verdict() {
        return verdict(false);
    }

    /** The verdict, computed afresh when {@code fresh} (the emitter's check just before a publish). */
    private ClockVerdict verdict(boolean fresh) {
        CachedVerdict c = cached;
        long now = System.nanoTime();
        if (fresh || c == null || now - c.atNanos() > VERDICT_REUSE_MS * 1_000_000L) {
            c = new CachedVerdict(now, judge.assess(maxOffset.toNanos(),
                    Math.max(1, consensus.leadership().clusterSize())));
            cached = c;
        }
        return c.verdict();
    }

    /**
     * Under clock discipline in a cluster of several members, a leader publishes only once its clock
     * has been measured against its peers' and a majority agrees with it (within a second of start
     * when the peers answer): a node whose clock is off must not publish even the first frames of the
     * cluster, and on an even split neither of two disagreeing clocks may drive the beat.
     *
     * @return why this node must hold its beat, or null
     */
    String hold() {
        if (!disciplined || consensus.leadership().clusterSize() <= 1) {
            return null;
        }
        ClockVerdict v = verdict();
        return switch (v.status()) {
            case UNMEASURED -> "clock offset to the cluster not measured yet (no peer has answered on "
                    + "backbeat." + clusterId + ".clock)";
            case UNDECIDED -> "clock cannot be checked: " + v.detail();
            default -> null;
        };
    }

    /** The clock problem, or null when the clock is trusted or its verdict is not in yet. */
    String problem() {
        return problem(false);
    }

    /**
     * As {@link #problem()}, judged afresh: for the emitter, whose last check before a publish must see
     * a wall clock that stepped a moment ago (a verdict costs microseconds).
     */
    String problemNow() {
        return problem(true);
    }

    private String problem(boolean fresh) {
        if (!disciplined) {
            return null;
        }
        ClockVerdict v = verdict(fresh);
        if (v.status() == ClockVerdict.Status.SKEWED) {
            return String.format("clock offset %+.1f ms to the cluster exceeds the bound of %d ms (--max-clock-offset): %s",
                    v.offsetNanos().orElse(0) / 1e6, maxOffset.toMillis(), v.detail());
        }
        return null;
    }
}
