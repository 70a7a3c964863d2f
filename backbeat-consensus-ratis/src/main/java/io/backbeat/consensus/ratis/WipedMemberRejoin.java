package io.backbeat.consensus.ratis;

import io.backbeat.consensus.ConsensusSettings;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A member starting on an empty data dir (a replaced disk) while its cluster runs: the leader still
 * remembers how far this member's log reached and would probe it there for ever (Ratis answers
 * "INCONSISTENCY, nextIndex 0" and the leader never backs off below what it thinks was matched).
 * So before its own server starts, such a member asks the running cluster (group info from each
 * peer, 1 s each) whether it is in the leader's configuration; if so it has itself removed
 * ({@link #leave()}), and once its server runs it has itself added again ({@link #joinAgain}): the
 * leader then treats it as a new member, brings it up to date from its snapshot, and only then
 * counts it in the configuration. A fresh cluster (no leader yet) skips this; a member not in the
 * configuration is left for an operator to add. Either way, a member found outside the running
 * configuration starts as a listener ({@link #startGroup()}).
 */
final class WipedMemberRejoin {
    private static final Logger LOG = LoggerFactory.getLogger(RatisConsensus.class); // its log lines, as before

    private final ConsensusSettings settings;
    private final RaftGroup group;
    private final RaftPeerId selfId;
    private final Parameters parameters;
    private volatile RaftPeerId rejoinLeader; // the leader this member left through (see leave)
    private volatile List<RaftPeer> outsideConf; // the running cluster's members when this one starts outside

    WipedMemberRejoin(ConsensusSettings settings, RaftGroup group, RaftPeerId selfId, Parameters parameters) {
        this.settings = settings;
        this.group = group;
        this.selfId = selfId;
        this.parameters = parameters;
    }

    /**
     * Checks the running cluster and leaves its configuration when this member is in it (see the class comment).
     *
     * @return whether this member removed itself and must be added again
     */
    boolean leave() {
        try (RaftClient c = RaftClient.newBuilder().setProperties(RatisSettings.shortRequests()).setRaftGroup(group)
                .setParameters(parameters).setRetryPolicy(RetryPolicies.noRetry()).build()) {
            for (RaftPeer peer : group.getPeers()) {
                if (peer.getId().equals(selfId)) {
                    continue;
                }
                org.apache.ratis.protocol.GroupInfoReply info;
                try {
                    info = c.getGroupManagementApi(peer.getId()).info(group.getGroupId());
                } catch (IOException | RuntimeException e) {
                    continue; // not running (yet): a fresh cluster, or that peer is down
                }
                RoleInfoProto role = info.getRoleInfoProto();
                String leader = role.hasLeaderInfo() ? peer.getId().toString()
                        : role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()
                        ? role.getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8() : null;
                if (leader == null || leader.isEmpty() || info.getConf().isEmpty()) { // "": no leader known yet
                    continue;
                }
                if (!peer.getId().toString().equals(leader)) {
                    try {
                        info = c.getGroupManagementApi(RaftPeerId.valueOf(leader)).info(group.getGroupId());
                    } catch (IOException | RuntimeException e) {
                        // the follower's view (the leader sends every peer's commit index with its entries)
                    }
                }
                long myCommit = info.getCommitInfos().stream()
                        .filter(ci -> ci.getServer().getId().toStringUtf8().equals(settings.nodeId()))
                        .mapToLong(org.apache.ratis.proto.RaftProtos.CommitInfoProto::getCommitIndex).max().orElse(0);
                List<RaftPeer> conf = new java.util.ArrayList<>();
                boolean member = false;
                for (org.apache.ratis.proto.RaftProtos.RaftPeerProto p : info.getConf().get().getPeersList()) {
                    String id = p.getId().toStringUtf8();
                    if (id.equals(settings.nodeId())) {
                        member = true;
                    } else {
                        conf.add(RaftPeer.newBuilder().setId(id).setAddress(p.getAddress()).build());
                    }
                }
                if (member && myCommit == 0) {
                    // the running cluster never had a log entry from this member: a fresh cluster whose
                    // other members started first. Ordinary catch-up works; nothing to leave.
                    LOG.info("{} starts on an empty data dir; the running cluster (leader {}) has no log of it yet",
                            settings.nodeId(), leader);
                    return false;
                }
                // either way this member starts outside the configuration (so it does not campaign: a
                // candidate outside a voter's configuration is told to shut down) until the leader adds it
                outsideConf = conf;
                if (!member) {
                    LOG.info("{} starts on an empty data dir; the running cluster (leader {}) does not list it: "
                            + "add it with POST /members", settings.nodeId(), leader);
                    return false;
                }
                LOG.warn("{} starts on an empty data dir but is a member of the running cluster (leader {}): "
                        + "leaving and joining again, so the leader sends it its snapshot", settings.nodeId(), leader);
                try (RaftClient admin = RaftClient.newBuilder().setProperties(new RaftProperties())
                        .setRaftGroup(RaftGroup.valueOf(group.getGroupId(), conf)).setParameters(parameters)
                        .setLeaderId(RaftPeerId.valueOf(leader))
                        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(20,
                                TimeDuration.valueOf(250, TimeUnit.MILLISECONDS))).build()) {
                    RaftClientReply r = admin.admin().setConfiguration(conf);
                    rejoinLeader = RaftPeerId.valueOf(leader);
                    if (!r.isSuccess()) {
                        LOG.warn("{} could not leave the configuration: {}", settings.nodeId(), r.getException());
                        return false;
                    }
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: checking for a running cluster failed: {}", settings.nodeId(), e.toString());
        }
        return false;
    }

    /**
     * The group this member's server starts in: the configured one, or, when {@link #leave()} found it
     * outside the running configuration, that configuration with this server as a listener (Ratis needs
     * this server in its group; a listener never campaigns).
     */
    RaftGroup startGroup() {
        List<RaftPeer> outside = outsideConf;
        if (outside == null) {
            return group;
        }
        List<RaftPeer> peers = new java.util.ArrayList<>(outside);
        peers.add(RaftPeer.newBuilder().setId(selfId).setAddress(settings.self().address())
                .setStartupRole(org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER).build());
        return RaftGroup.valueOf(group.getGroupId(), peers);
    }

    /**
     * After {@link #leave()}: has this member added back once {@code server} runs, on a daemon thread
     * {@code backbeat-rejoin-<node>} (retries for a minute, until {@code closed}).
     */
    void joinAgain(RaftServer server, BooleanSupplier closed) {
        Thread t = new Thread(() -> rejoin(server, closed), "backbeat-rejoin-" + settings.nodeId());
        t.setDaemon(true);
        t.start();
    }

    private void rejoin(RaftServer server, BooleanSupplier closed) {
        long began = System.nanoTime();
        while (!closed.getAsBoolean() && System.nanoTime() - began < 60_000_000_000L) {
            try {
                Thread.sleep(500);
                RaftServer.Division d = server.getDivision(group.getGroupId());
                new RatisMembership(d, RatisSettings.tlsParameters(settings)).addVia(settings.nodeId(),
                        settings.self().address(), group.getPeers(), rejoinLeader);
                LOG.info("{} joined again; catching up from the leader's snapshot", settings.nodeId());
                return;
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: joining again failed ({}); retrying", settings.nodeId(), e.toString());
            }
        }
    }
}
