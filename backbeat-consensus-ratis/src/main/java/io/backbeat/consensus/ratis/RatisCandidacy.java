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
 */
final class RatisCandidacy {
    private static final AtomicLong CALL_IDS = new AtomicLong(1L << 40);
    private final RaftGroupId groupId;
    private final RaftPeerId selfId;
    private final ClientId clientId = ClientId.randomId();

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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting the candidacy of " + selfId, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not " + (stand ? "resume" : "pause") + " elections of "
                    + selfId + ": " + e, e);
        }
    }
}
