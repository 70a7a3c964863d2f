package io.backbeat.consensus.ratis;

import io.backbeat.consensus.ConsensusSettings;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;

/**
 * A leader's planned hand-over (Raft leadership transfer: the target starts an election at once),
 * tried on the most responsive followers first, each with a share of what is left of
 * {@link RatisConsensus#HAND_OVER_BUDGET_MS} (at least {@value #MIN_TRY_MS} ms).
 */
final class RatisHandOver {
    private static final Logger LOG = LoggerFactory.getLogger(RatisConsensus.class); // its log lines, as before

    /** Longest wait for this leader's first commit before it picks a target. */
    private static final long READY_WAIT_MS = 500;
    /** The shortest wait for one target (a transfer between processes took 200-410 ms). */
    private static final long MIN_TRY_MS = 500;

    private final ConsensusSettings settings;
    private final RaftGroupId groupId;

    RatisHandOver(ConsensusSettings settings, RaftGroupId groupId) {
        this.settings = settings;
        this.groupId = groupId;
    }

    /**
     * Hands leadership over through {@code client}, trying the members in {@code avoid} last; does
     * nothing without a client, a server or a peer.
     */
    void run(RaftClient client, RaftServer server, java.util.Set<String> avoid) {
        if (client == null || server == null || settings.members().size() < 2) {
            return;
        }
        long deadline = System.nanoTime() + RatisConsensus.HAND_OVER_BUDGET_MS * 1_000_000L;
        awaitLeaderReady(server, Math.min(deadline, System.nanoTime() + READY_WAIT_MS * 1_000_000L));
        List<String> targets = avoidedLast(responsiveFollowers(server), avoid);
        for (int i = 0; i < targets.size(); i++) {
            String target = targets.get(i);
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left < 100) {
                LOG.info("{}: hand-over budget of {} ms spent", settings.nodeId(), RatisConsensus.HAND_OVER_BUDGET_MS);
                return;
            }
            try {
                long t0 = System.nanoTime();
                // a share of what is left per target, the last one gets all: a member withdrawn from elections
                // (RatisCandidacy) accepts the transfer but never stands, and must not take the whole budget
                long timeoutMs = i == targets.size() - 1 ? left
                        : Math.min(left, Math.max(MIN_TRY_MS, left / (targets.size() - i)));
                RaftClientReply r = client.admin().transferLeadership(RaftPeerId.valueOf(target), timeoutMs);
                if (r.isSuccess()) {
                    LOG.info("{} handed leadership to {} in {} ms", settings.nodeId(), target,
                            (System.nanoTime() - t0) / 1_000_000L);
                    return;
                }
                LOG.info("{} could not hand leadership to {}: {}", settings.nodeId(), target, r.getException());
            } catch (IOException | RuntimeException e) {
                LOG.info("{} could not hand leadership to {}: {}", settings.nodeId(), target, e.toString());
            }
        }
    }

    /** {@code targets} in their order, the ones in {@code avoid} moved to the end. */
    static List<String> avoidedLast(List<String> targets, java.util.Set<String> avoid) {
        List<String> out = new java.util.ArrayList<>(targets);
        out.sort(java.util.Comparator.comparing(avoid::contains)); // stable: false first
        return out;
    }

    /**
     * Right after an election no follower has answered yet, and every follower looks as fresh as the
     * leadership itself, a dead one included (a chaos run spent the whole budget on a SIGKILLed peer).
     * Once the leader is ready (its first entry of the term committed, so a majority has answered) the
     * live followers have the most recent answers and sort first.
     */
    private void awaitLeaderReady(RaftServer server, long untilNanos) {
        try {
            RaftServer.Division d = server.getDivision(groupId);
            while (d.getInfo().isLeader() && !d.getInfo().isLeaderReady() && System.nanoTime() - untilNanos < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("leader readiness unknown: {}", e.toString());
        }
    }

    /**
     * Hand-over targets: the followers that answered this leader within the last election timeout,
     * most recent first (a transfer to a dead peer only waits out its timeout), then the other
     * members (right after an election Ratis may not have timed any answer yet).
     */
    private List<String> responsiveFollowers(RaftServer server) {
        List<String> out = new java.util.ArrayList<>();
        try {
            RoleInfoProto role = server.getDivision(groupId).getInfo().getRoleInfoProto();
            if (role.hasLeaderInfo()) {
                role.getLeaderInfo().getFollowerInfoList().stream()
                        .filter(f -> f.getLastRpcElapsedTimeMs() < RatisConsensus.ELECTION_MAX_MS)
                        .sorted(java.util.Comparator.comparingLong(ServerRpcProto::getLastRpcElapsedTimeMs))
                        .map(f -> f.getId().getId().toStringUtf8())
                        .forEach(out::add);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("no follower information: {}", e.toString());
        }
        boolean timed = !out.isEmpty();
        if (!timed) {
            settings.members().forEach(p -> out.add(p.id()));
        }
        out.removeIf(id -> id.equals(settings.nodeId()));
        return out;
    }
}
