package io.backbeat.consensus.ratis;

import io.backbeat.consensus.*;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.TimeDuration;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Raft configuration changes for {@link RatisConsensus}: the members of the current configuration with
 * their role and last contact, adding and removing a voting member ({@code setConfiguration}: the
 * leader first brings a new member's log up to date, then commits the new configuration) and moving
 * leadership ({@code transferLeadership}). Each change runs on a short-lived admin client aimed at the
 * current configuration (so members added since start are reached), with a 20 s budget.
 */
final class RatisMembership {
    private static final long CHANGE_TIMEOUT_MS = 20_000;

    private final RaftServer.Division division;
    private final Parameters parameters;

    RatisMembership(RaftServer.Division division, Parameters parameters) {
        this.division = division;
        this.parameters = parameters;
    }

    List<Member> members() {
        String leader = division.getInfo().getLeaderId() == null ? "" : division.getInfo().getLeaderId().toString();
        String self = division.getId().toString();
        Map<String, Long> contact = new HashMap<>();
        RoleInfoProto role = division.getInfo().getRoleInfoProto();
        if (role.hasLeaderInfo()) {
            for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                contact.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
            }
        } else if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
            ServerRpcProto l = role.getFollowerInfo().getLeaderInfo();
            contact.put(l.getId().getId().toStringUtf8(), l.getLastRpcElapsedTimeMs());
        }
        List<Member> out = new ArrayList<>();
        for (RaftPeer p : division.getRaftConf().getCurrentPeers()) {
            String id = p.getId().toString();
            out.add(new Member(id, p.getAddress(), id.equals(leader), id.equals(self) ? Long.valueOf(0) : contact.get(id)));
        }
        out.sort(java.util.Comparator.comparing(Member::id));
        return out;
    }

    /** Adds {@code id} at {@code address} as a voter; a member already there with that address is a no-op. */
    void add(String id, String address) throws IOException {
        List<RaftPeer> peers = new ArrayList<>(division.getRaftConf().getCurrentPeers());
        for (RaftPeer p : peers) {
            if (p.getId().toString().equals(id)) {
                if (p.getAddress().equals(address)) {
                    return;
                }
                throw new IllegalArgumentException("member " + id + " already exists at " + p.getAddress()
                        + "; remove it first to move it to " + address);
            }
        }
        peers.add(RaftPeer.newBuilder().setId(id).setAddress(address).build());
        change(peers);
    }

    /**
     * Removes voter {@code id}. The leader is not removed under itself: leadership first moves to a
     * remaining member (a leader that removes itself can be found stepping down mid-change, which
     * Ratis refuses with {@code LeaderSteppingDownException}). A change refused because leadership is
     * moving is tried again, against the new leader, within the change budget; once {@code id} is gone
     * from the configuration the removal has succeeded.
     */
    void remove(String id) throws IOException {
        List<RaftPeer> peers = new ArrayList<>(division.getRaftConf().getCurrentPeers());
        if (!peers.removeIf(p -> p.getId().toString().equals(id))) {
            throw new IllegalArgumentException("no member " + id + " in the current configuration");
        }
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("cannot remove the last member");
        }
        RaftPeerId leader = division.getInfo().getLeaderId();
        if (leader != null && leader.toString().equals(id)) {
            try {
                transfer(peers.get(0).getId().toString());
            } catch (IOException e) {
                // the removal below still works when the leader steps down on its own; it says why if not
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CHANGE_TIMEOUT_MS);
        while (true) {
            List<RaftPeer> now = new ArrayList<>(division.getRaftConf().getCurrentPeers());
            if (!now.removeIf(p -> p.getId().toString().equals(id))) {
                return; // committed (by an earlier attempt whose reply was lost to the leadership change)
            }
            try {
                change(now);
                return;
            } catch (IOException e) {
                if (!leadershipMoving(e) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while removing " + id, e);
            }
        }
    }

    /** The change was refused only because leadership is moving: another attempt may commit it. */
    private static boolean leadershipMoving(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("LeaderSteppingDownException") || m.contains("NotLeaderException")
                || m.contains("LeaderNotReadyException");
    }

    /** Adds {@code id} at {@code address} as seen by the leader, reached through {@code peers}. */
    void addVia(String id, String address, java.util.Collection<RaftPeer> peers, RaftPeerId leader) throws IOException {
        try (RaftClient c = client(peers, leader)) {
            List<RaftPeer> conf = leaderConfiguration(c, leader);
            if (conf.stream().noneMatch(p -> p.getId().toString().equals(id))) {
                conf.add(RaftPeer.newBuilder().setId(id).setAddress(address).build());
                check(c.admin().setConfiguration(conf), "adding " + id);
            }
        }
    }

    /** The leader's current voting configuration, read with a group-info request. */
    private List<RaftPeer> leaderConfiguration(RaftClient c, RaftPeerId leader) throws IOException {
        if (leader == null) {
            leader = division.getInfo().getLeaderId();
        }
        if (leader == null) {
            throw new IOException("no leader known yet");
        }
        org.apache.ratis.protocol.GroupInfoReply info = c.getGroupManagementApi(leader)
                .info(division.getGroup().getGroupId());
        List<RaftPeer> conf = new ArrayList<>(info.getGroup().getPeers());
        if (info.getConf().isPresent()) {
            conf = new ArrayList<>();
            for (org.apache.ratis.proto.RaftProtos.RaftPeerProto p : info.getConf().get().getPeersList()) {
                conf.add(RaftPeer.newBuilder().setId(p.getId().toStringUtf8()).setAddress(p.getAddress()).build());
            }
        }
        return conf;
    }

    private static void check(RaftClientReply r, String what) throws IOException {
        if (!r.isSuccess()) {
            throw new IOException(what + " failed: " + r.getException());
        }
    }

    /** Moves leadership to {@code id}. */
    void transfer(String id) throws IOException {
        if (division.getRaftConf().getCurrentPeers().stream().noneMatch(p -> p.getId().toString().equals(id))) {
            throw new IllegalArgumentException("no member " + id + " in the current configuration");
        }
        try (RaftClient c = client()) {
            RaftClientReply r = c.admin().transferLeadership(RaftPeerId.valueOf(id), CHANGE_TIMEOUT_MS);
            if (!r.isSuccess()) {
                throw new IOException("leadership transfer to " + id + " failed: " + r.getException());
            }
        }
    }

    private void change(List<RaftPeer> peers) throws IOException {
        try (RaftClient c = client()) {
            RaftClientReply r = c.admin().setConfiguration(peers);
            if (!r.isSuccess()) {
                throw new IOException("configuration change failed: " + r.getException());
            }
        }
    }

    private RaftClient client() {
        RaftPeerId leader = division.getInfo().getLeaderId();
        return client(division.getRaftConf().getCurrentPeers(), leader);
    }

    /** An admin client on {@code peers}, sent to {@code leader} first (null: Ratis picks and follows hints). */
    private RaftClient client(java.util.Collection<RaftPeer> peers, RaftPeerId leader) {
        RaftProperties props = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(CHANGE_TIMEOUT_MS, TimeUnit.MILLISECONDS));
        RaftGroup current = RaftGroup.valueOf(division.getGroup().getGroupId(), peers);
        RaftClient.Builder builder = RaftClient.newBuilder().setProperties(props).setRaftGroup(current)
                .setParameters(parameters);
        if (leader != null) {
            builder.setLeaderId(leader);
        }
        return builder
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(20,
                        TimeDuration.valueOf(250, TimeUnit.MILLISECONDS)))
                .build();
    }
}
