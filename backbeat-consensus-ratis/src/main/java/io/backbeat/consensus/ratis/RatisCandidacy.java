package io.backbeat.consensus.ratis;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.LeaderElectionManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Withdraws this member from elections and lets it stand again: Ratis' leader-election pause, sent
 * in-process to this node's own server (no network). A paused member never starts an election (its
 * election timer may make it a candidate that asks for no votes); it still grants votes, takes
 * entries and answers as a follower, so a majority without it elects as usual.
 *
 * <p>Ratis' resume only lifts the pause: a member whose election timer fired while paused stays a
 * candidate that runs no election (Ratis shut its follower timer down), until some leader's entries
 * or a higher-term vote request reach it. With pre-vote, neither comes when the others need this
 * member's newer log to elect anyone; the cluster then has no leader until a dead member returns.
 * So standing again also turns such a stranded candidate back into a follower in the same term
 * (what any leader's message would do), whose election timer then starts an election as usual.
 * Ratis has no public call for that; it is made reflectively and, should a Ratis version lack the
 * method, logged once and left out (`RatisConsensusContractTest` fails on such an upgrade).
 */
final class RatisCandidacy {
    private static final AtomicLong CALL_IDS = new AtomicLong(1L << 40);
    private final RaftGroupId groupId;
    private final RaftPeerId selfId;
    private final ClientId clientId = ClientId.randomId();

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RatisConsensus.class);
    private volatile boolean restartUnsupportedLogged;

    RatisCandidacy(RaftGroupId groupId, RaftPeerId selfId) {
        this.groupId = groupId;
        this.selfId = selfId;
    }

    /** Pauses ({@code stand == false}) or resumes this member's elections; waits up to 1 s for the server. */
    void set(RaftServer server, boolean stand) {
        LeaderElectionManagementRequest request = stand
                ? LeaderElectionManagementRequest.newResume(clientId, selfId, groupId, CALL_IDS.incrementAndGet())
                : LeaderElectionManagementRequest.newPause(clientId, selfId, groupId, CALL_IDS.incrementAndGet());
        try {
            RaftClientReply reply = server.leaderElectionManagementAsync(request).get(1, TimeUnit.SECONDS);
            if (!reply.isSuccess()) {
                throw new IllegalStateException("Ratis refused to " + (stand ? "resume" : "pause")
                        + " elections of " + selfId + ": " + reply.getException());
            }
            if (stand) {
                restartStrandedCandidate(server);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting the candidacy of " + selfId, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not " + (stand ? "resume" : "pause") + " elections of "
                    + selfId + ": " + e, e);
        }
    }

    /**
     * Turns this member back into a follower when it is a candidate, so that its election timer runs
     * again (see the class comment). {@code true} when it did.
     */
    boolean restartStrandedCandidate(RaftServer server) {
        RaftServer.Division division;
        try {
            division = server.getDivision(groupId);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("no Raft group " + groupId + " on " + selfId + ": " + e, e);
        }
        if (!division.getInfo().isCandidate()) {
            return false;
        }
        try {
            java.lang.reflect.Method toFollower = division.getClass().getDeclaredMethod(
                    "changeToFollowerAndPersistMetadata", long.class, boolean.class, Object.class);
            toFollower.setAccessible(true);
            synchronized (division) { // the server's own lock for role changes
                if (!division.getInfo().isCandidate()) {
                    return false;
                }
                toFollower.invoke(division, division.getInfo().getCurrentTerm(), false,
                        "stands for election again (a candidate stranded by the election pause)");
            }
            LOG.info("{}: a candidate stranded by the election pause is a follower again (term {}); its election "
                    + "timer runs", selfId, division.getInfo().getCurrentTerm());
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            if (!restartUnsupportedLogged) {
                restartUnsupportedLogged = true;
                LOG.warn("{}: cannot restart the elections of a candidate stranded by the election pause with this "
                        + "Ratis version ({}); it waits for a leader's message", selfId, e.toString());
            }
            return false;
        }
    }
}
