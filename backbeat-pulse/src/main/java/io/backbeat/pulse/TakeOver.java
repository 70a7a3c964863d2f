package io.backbeat.pulse;

import io.backbeat.api.EpochNanos;
import io.backbeat.api.SchedulingClock;
import io.backbeat.api.TempoPolicy;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.consensus.Consensus;
import io.backbeat.consensus.LeadershipState;
import io.backbeat.consensus.TimelineCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * A new leader's commits, on a daemon thread {@code backbeat-takeover-<node>}: the grid when the
 * cluster has none (a fresh one, or the timeline of a backup to restore), then this term's
 * leadership record. Retried for up to 30 s while this node leads that term; a take-over not
 * committed within {@link #PATIENCE_NANOS} is noted as a commit problem and makes the leader hand over.
 */
final class TakeOver {
    private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class); // its log lines, as before
    /** A take-over not committed after this long makes the leader hand over. */
    static final long PATIENCE_NANOS = 1_000_000_000L;

    private final String nodeId;
    private final Consensus consensus;
    private final SchedulingClock clock;
    private final TempoPolicy policy;
    private final LongFunction<TimelineDescriptor> freshGrid;
    private final HandOvers handOvers;
    private final CommitProblems problems;
    private final BooleanSupplier closed;
    private final Supplier<String> clockProblem;
    private volatile Backup restore;
    private volatile long toldTerm = -1;

    /**
     * @param policy    this node's tempo policy (its flags), replicated with a new grid
     * @param freshGrid a new cluster's grid anchored at the given instant (epoch nanoseconds)
     * @param clockProblem why this node's clock may not drive the beat, or null
     */
    TakeOver(String nodeId, Consensus consensus, SchedulingClock clock, TempoPolicy policy,
             LongFunction<TimelineDescriptor> freshGrid, HandOvers handOvers, CommitProblems problems,
             BooleanSupplier closed, Supplier<String> clockProblem) {
        this.nodeId = nodeId;
        this.consensus = consensus;
        this.clock = clock;
        this.policy = policy;
        this.freshGrid = freshGrid;
        this.handOvers = handOvers;
        this.problems = problems;
        this.closed = closed;
        this.clockProblem = clockProblem;
    }

    /** A cluster with no timeline yet starts on {@code backup}'s instead of a fresh grid. */
    void restoreFrom(Backup backup) {
        this.restore = java.util.Objects.requireNonNull(backup, "backup");
    }

    /** Takes over {@code term}, on a new daemon thread. */
    void begin(long term) {
        Thread t = new Thread(() -> takeOver(term), "backbeat-takeover-" + nodeId);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Initializes the grid if the cluster has none, then records this term's leadership in it. A node
     * whose clock is skewed records nothing and hands the term over at once: committing a take-over first
     * (a majority round trip) only delays the member that can lead (the chaos runs measured 130-770 ms).
     */
    private void takeOver(long term) {
        long began = System.nanoTime();
        while (!closed.getAsBoolean() && System.nanoTime() - began < 30_000_000_000L) {
            LeadershipState s = consensus.leadership();
            if (!s.leader() || s.term() != term) {
                return;
            }
            String clockWhy = clockProblem.get();
            if (clockWhy != null) {
                if (toldTerm != term) { // once per term: a term's state changes may start several take-overs
                    toldTerm = term;
                    LOG.warn("{} won term {} but does not take it over: {}", nodeId, term, clockWhy);
                }
                handOvers.request(clockWhy);
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
                continue;
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
                        consensus.submit(new TimelineCommand.Initialize(freshGrid.apply(anchor), policy))
                                .get(5, TimeUnit.SECONDS);
                    }
                }
                consensus.submit(new TimelineCommand.AssumeLeadership(term, nodeId)).get(1, TimeUnit.SECONDS);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                long waited = System.nanoTime() - began;
                String cause = PulseNode.rootCause(e);
                if (waited > PATIENCE_NANOS) {
                    problems.note("take-over in term " + term + " not committed after " + waited / 1_000_000
                            + " ms: " + cause);
                    LOG.warn("{} leads term {} but cannot commit its take-over ({}); handing over", nodeId, term, cause);
                    handOvers.request("take-over not committed: " + cause);
                } else {
                    LOG.debug("take-over in term {} not committed yet: {}", term, cause);
                }
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
            }
        }
    }
}
