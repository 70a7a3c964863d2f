package io.backbeat.pulse;

import io.backbeat.api.SchedulingClock;
import io.backbeat.consensus.LeadershipState;
import io.backbeat.pulse.metrics.PulseMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * Follows the leadership consensus reports ({@link #onLeadership}): the highest term seen, when this
 * node became leader, the leadership metrics, log lines and events of each change, and a
 * {@link TakeOver} for every state in which this node leads.
 */
final class LeadershipTracker {
    private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class); // its log lines, as before

    private final String nodeId;
    private final PulseMetrics metrics;
    private final SchedulingClock clock;
    private final FrameMonitor frames;
    private final Consumer<String> events;
    private final TakeOver takeOver;
    private volatile long highestTerm;
    private volatile long leadershipTerm = -1;
    private volatile boolean wasLeader;
    private volatile long leaderSinceNanos;
    private String knownLeader; // guarded by this: the leader last counted by countLeaderChange
    private long knownLeaderTerm;

    /** @param events where the node's events go (the status page's list) */
    LeadershipTracker(String nodeId, PulseMetrics metrics, SchedulingClock clock, FrameMonitor frames,
                      Consumer<String> events, TakeOver takeOver) {
        this.nodeId = nodeId;
        this.metrics = metrics;
        this.clock = clock;
        this.frames = frames;
        this.events = events;
        this.takeOver = takeOver;
    }

    /** The highest term this node has seen. */
    long highestTerm() {
        return highestTerm;
    }

    /** {@link SchedulingClock#nanoTime()} when this node last became leader, 0 before. */
    long leaderSinceNanos() {
        return leaderSinceNanos;
    }

    /** The consensus listener. */
    void onLeadership(LeadershipState s) {
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
            takeOver.begin(s.term());
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
            events.accept("leader changed: " + knownLeader + " (term " + knownLeaderTerm + ") -> " + s.leaderId()
                    + " (term " + s.term() + ")");
        } else if (knownLeader == null) {
            events.accept("leader known: " + s.leaderId() + " (term " + s.term() + ")");
        }
        if (knownLeader == null || !knownLeader.equals(s.leaderId()) || s.term() > knownLeaderTerm) {
            knownLeader = s.leaderId();
            knownLeaderTerm = s.term();
        }
    }
}
