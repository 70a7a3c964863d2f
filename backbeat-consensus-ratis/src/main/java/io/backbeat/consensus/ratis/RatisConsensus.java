package io.backbeat.consensus.ratis;

import io.backbeat.consensus.*;

import io.backbeat.api.TimelineDescriptor;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@link Consensus} on Apache Ratis: the Raft leader is the pulse leader, the Raft term is the
 * fencing term, and a small state machine holds the {@link TimelineDescriptor}. Commands are
 * applied by {@link TimelineStateMachine#apply} in log order on every replica; on restart the log
 * is replayed from the data directory.
 *
 * <p>Leadership is read live from the Raft division on every {@link #leadership()} call (so a
 * publisher that checks it right before sending is fenced at once) and pushed to listeners by a
 * daemon thread {@code backbeat-ratis-<node>} within ~10 ms of a change.
 *
 * <p><b>Lease.</b> {@link #leaseRemainingNanos()} is the time for which a majority has confirmed
 * this leader: the {@code k}-th most recent append-entries response among the voting followers
 * ({@code k} = followers needed for a majority) is younger than {@link #LEASE}, which is shorter
 * than the election timeout ({@value #ELECTION_MIN_MS} ms) by more than any loopback or LAN round
 * trip. No follower can have started an election within that time, so no other leader exists.
 * A leader that wakes from a stall has no fresh responses and so no lease: it publishes nothing.
 *
 * <p><b>Writes from the leader are local.</b> A command proposed on the leader goes straight into
 * its own division ({@code submitClientRequestAsync}) instead of through a {@link RaftClient}, whose
 * cached leader may be the stalled or unreachable old one: a take-over commit waits only on a
 * majority, never on a dead peer. Followers forward through the client (short request timeout).
 *
 * <p>Its parts: the replicated {@link TimelineMachine}, the {@link RatisSettings} built from the
 * {@link ConsensusSettings}, the {@link WipedMemberRejoin} of a member whose disk was replaced, the
 * {@link RatisSubmitter} of commands, the {@link RatisHandOver} of a leader that leaves and the
 * {@link RatisMembership} changes.
 */
public final class RatisConsensus implements Consensus {
    private static final Logger LOG = LoggerFactory.getLogger(RatisConsensus.class);
    /** Election timeout bounds: a follower waits at least this long without a leader before voting. */
    static final long ELECTION_MIN_MS = 300;
    static final long ELECTION_MAX_MS = 600;
    /** The leader lease: a majority heard within this time. Shorter than {@link #ELECTION_MIN_MS}. */
    static final java.time.Duration LEASE = java.time.Duration.ofMillis(200);
    /** The whole planned hand-over, all attempts together. */
    static final long HAND_OVER_BUDGET_MS = 1500;

    private final ConsensusSettings settings;
    private final RaftGroup group;
    private final RaftPeerId selfId;
    private final TimelineMachine machine;
    private final RatisSubmitter submitter;
    private final RatisHandOver handOver;
    private final RatisCandidacy candidacy;
    private final List<Consumer<LeadershipState>> listeners = new CopyOnWriteArrayList<>();
    private final Object viewLock = new Object();
    /** Guards registration and delivery together: a listener's first state always comes before any change. */
    private final Object listenerLock = new Object();
    private RaftServer server;
    private volatile StorageProbe storage;
    private RaftClient client;
    private Thread monitor;
    private volatile boolean closed;
    private volatile LeadershipState lastView;
    private long highestTerm;

    public RatisConsensus(ConsensusSettings settings) {
        this.settings = settings;
        this.selfId = RaftPeerId.valueOf(settings.nodeId());
        List<RaftPeer> peers = settings.members().stream()
                .map(p -> RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build()).toList();
        RaftGroupId gid = RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("backbeat:" + settings.clusterId())
                .getBytes(StandardCharsets.UTF_8)));
        this.group = RaftGroup.valueOf(gid, peers);
        this.lastView = LeadershipState.initial(settings.nodeId(), peers.size());
        ClientId localClientId = ClientId.randomId();
        this.machine = new TimelineMachine(settings.nodeId(), localClientId, () -> leadership().term(),
                this::wakeMonitor);
        this.submitter = new RatisSubmitter(gid, selfId, localClientId, () -> closed);
        this.handOver = new RatisHandOver(settings, gid);
        this.candidacy = new RatisCandidacy(gid, selfId);
    }

    @Override
    public void start() throws IOException {
        RaftProperties props = RatisSettings.server(settings);
        Files.createDirectories(settings.dataDir());
        storage = new StorageProbe(settings.dataDir(), settings.nodeId()).start();
        boolean existing = Files.isDirectory(settings.dataDir().resolve(group.getGroupId().getUuid().toString()));
        org.apache.ratis.conf.Parameters parameters = RatisSettings.tlsParameters(settings);
        WipedMemberRejoin wiped = new WipedMemberRejoin(settings, group, selfId, parameters);
        boolean rejoin = !existing && group.getPeers().size() > 1 && wiped.leave();
        server = RaftServer.newBuilder().setServerId(selfId).setStateMachine(machine).setProperties(props)
                .setParameters(parameters)
                .setGroup(wiped.startGroup())
                .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                .build();
        server.start();
        // a forwarded command that reaches a dead or stalled node gives up on it after 1 s (default 3 s)
        client = RaftClient.newBuilder().setProperties(RatisSettings.shortRequests()).setRaftGroup(group)
                .setParameters(parameters)
                // short sleeps: right after an election the new leader refuses writes until its first
                // entry commits (tens of ms); a 100 ms sleep there delayed its take-over by 0.3-0.5 s
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(250,
                        TimeDuration.valueOf(20, TimeUnit.MILLISECONDS)))
                .build();
        if (rejoin) {
            wiped.joinAgain(server, () -> closed);
        }
        monitor = new Thread(this::watch, "backbeat-ratis-" + settings.nodeId());
        monitor.setDaemon(true);
        monitor.start();
        LOG.info("Ratis node {} started on port {} in group {} of {}", settings.nodeId(), settings.self().port(),
                group.getGroupId(), settings.members());
    }

    private RatisMembership membership() throws IOException {
        RaftServer s = server;
        if (s == null || closed) {
            throw new IllegalStateException("consensus node is " + (closed ? "closed" : "not started"));
        }
        return new RatisMembership(s.getDivision(group.getGroupId()), RatisSettings.tlsParameters(settings));
    }

    @Override
    public List<Member> members() {
        try {
            return membership().members();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    @Override
    public CompletableFuture<Void> addMember(String nodeId, String address) {
        return admin("add " + nodeId + " at " + address, m -> m.add(nodeId, address));
    }

    @Override
    public CompletableFuture<Void> removeMember(String nodeId) {
        return admin("remove " + nodeId, m -> m.remove(nodeId));
    }

    @Override
    public CompletableFuture<Void> transferLeadership(String nodeId) {
        return admin("transfer leadership to " + nodeId, m -> m.transfer(nodeId));
    }

    private interface MembershipCall {
        void run(RatisMembership m) throws IOException;
    }

    /** Runs a configuration change on its own daemon thread (it can take seconds: a new member catches up first). */
    private CompletableFuture<Void> admin(String what, MembershipCall call) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                LOG.info("{}: membership change: {}", settings.nodeId(), what);
                call.run(membership());
                LOG.info("{}: membership change done: {}; members now {}", settings.nodeId(), what, members());
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: membership change failed: {}: {}", settings.nodeId(), what, e.toString());
                done.completeExceptionally(e);
            }
        }, "backbeat-membership-" + settings.nodeId());
        t.setDaemon(true);
        t.start();
        return done;
    }

    /** The member's Raft address from the current Raft configuration (else the configured peers). */
    @Override
    public String peerAddress(String nodeId) {
        RaftServer s = server;
        if (s != null && !closed) {
            try {
                org.apache.ratis.protocol.RaftPeer p = s.getDivision(group.getGroupId()).getRaftConf()
                        .getPeer(RaftPeerId.valueOf(nodeId));
                if (p != null) {
                    return p.getAddress();
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("no Raft configuration for {}: {}", nodeId, e.toString());
            }
        }
        return settings.members().stream().filter(p -> p.id().equals(nodeId)).map(p -> p.host() + ":" + p.port())
                .findFirst().orElse(null);
    }

    @Override
    public LeadershipState leadership() {
        RaftServer s = server;
        if (s == null || closed) {
            LeadershipState v = lastView;
            return new LeadershipState(v.nodeId(), false, v.term(), v.leaderId(), v.clusterSize());
        }
        try {
            RaftServer.Division division = s.getDivision(group.getGroupId());
            DivisionInfo info = division.getInfo();
            RaftPeerId leader = info.getLeaderId();
            long term = info.getCurrentTerm();
            int voters = division.getRaftConf().getCurrentPeers().size(); // the Raft configuration, not the flags
            synchronized (viewLock) {
                highestTerm = Math.max(highestTerm, term);
                return new LeadershipState(settings.nodeId(), info.isLeader() && term >= highestTerm, highestTerm,
                        leader == null ? "" : leader.toString(), voters > 0 ? voters : group.getPeers().size());
            }
        } catch (IOException | RuntimeException e) {
            LeadershipState v = lastView;
            return new LeadershipState(v.nodeId(), false, v.term(), v.leaderId(), v.clusterSize());
        }
    }

    @Override
    public void onLeadershipChange(Consumer<LeadershipState> listener) {
        synchronized (listenerLock) {
            listeners.add(listener);
            listener.accept(lastView);
        }
    }

    private void watch() {
        while (!closed) {
            LeadershipState now = leadership();
            LeadershipState before = lastView;
            if (now.leader() != before.leader() || now.term() != before.term()
                    || !now.leaderId().equals(before.leaderId())) {
                synchronized (listenerLock) {
                    lastView = now;
                    for (Consumer<LeadershipState> l : listeners) {
                        try {
                            l.accept(now);
                        } catch (RuntimeException e) {
                            LOG.warn("leadership listener failed", e);
                        }
                    }
                }
            }
            synchronized (this) {
                try {
                    wait(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Wakes the leadership monitor now (Ratis reported a leader change). */
    private void wakeMonitor() {
        synchronized (this) {
            notifyAll();
        }
    }

    @Override
    public TimelineDescriptor committedTimeline() {
        return machine.state().descriptor();
    }

    @Override
    public io.backbeat.api.TempoPolicy committedPolicy() {
        return machine.state().policy();
    }

    @Override
    public long rejectedCommands() {
        return machine.rejected();
    }

    @Override
    public CompletableFuture<TimelineDescriptor> submit(TimelineCommand command) {
        RaftClient c = client;
        RaftServer s = server;
        if (c == null || s == null || closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("consensus node is not running"));
        }
        return submitter.submit(command, c, s);
    }

    @Override
    public long leaseRemainingNanos() {
        RaftServer s = server;
        if (s == null || closed) {
            return 0;
        }
        try {
            return RatisLease.remainingNanos(s.getDivision(group.getGroupId()), () -> {
                synchronized (viewLock) {
                    return highestTerm;
                }
            }, LEASE);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    @Override
    public String storageProblem() {
        StorageProbe p = storage;
        return p == null ? null : p.problem();
    }

    /** Ratis' leader-election pause on this member ({@link RatisCandidacy}). */
    @Override
    public boolean standForElection(boolean stand) {
        RaftServer s = server;
        if (s == null || closed) {
            throw new IllegalStateException("consensus node is " + (closed ? "closed" : "not started"));
        }
        candidacy.set(s, stand);
        return true;
    }

    /** This member's Raft role now (for tests of the election pause), or {@code null} when not running. */
    org.apache.ratis.proto.RaftProtos.RaftPeerRole role() throws IOException {
        RaftServer s = server;
        return s == null || closed ? null : s.getDivision(group.getGroupId()).getInfo().getCurrentRole();
    }

    /** The last entry of this member's Raft log (written, not necessarily committed). */
    @Override
    public java.util.Optional<io.backbeat.consensus.LogPosition> lastLogEntry() {
        RaftServer s = server;
        if (s == null || closed) {
            return java.util.Optional.empty();
        }
        try {
            org.apache.ratis.server.protocol.TermIndex last = s.getDivision(group.getGroupId()).getRaftLog().getLastEntryTermIndex();
            return last == null ? java.util.Optional.empty()
                    : java.util.Optional.of(new io.backbeat.consensus.LogPosition(last.getTerm(), last.getIndex()));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (storage != null) {
            storage.close();
        }
        boolean wasLeader = leadership().leader();
        closed = true; // from here leadership() says "not leader": the emitter is fenced at once
        synchronized (this) {
            notifyAll();
        }
        if (wasLeader) {
            handOver.run(client, server, java.util.Set.of());
        }
        try {
            if (client != null) {
                client.close();
            }
        } catch (IOException e) {
            LOG.debug("closing Ratis client", e);
        }
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException e) {
            LOG.debug("closing Ratis server", e);
        }
        synchronized (listenerLock) {
            lastView = new LeadershipState(settings.nodeId(), false, lastView.term(), lastView.leaderId(),
                    lastView.clusterSize());
            for (Consumer<LeadershipState> l : listeners) {
                try {
                    l.accept(lastView);
                } catch (RuntimeException e) {
                    LOG.warn("leadership listener failed", e);
                }
            }
        }
    }

    /**
     * A leader that leaves on purpose hands its leadership to another member first (Raft leadership
     * transfer: the target starts an election at once), so a planned stop or rolling restart costs
     * one round of votes instead of an election timeout. Bounded to about 3 s; on failure the
     * members elect a leader the usual way.
     */
    @Override
    public void yieldLeadership() {
        yieldLeadership(java.util.Set.of());
    }

    @Override
    public void yieldLeadership(java.util.Set<String> avoid) {
        if (!closed && leadership().leader()) {
            handOver.run(client, server, avoid);
        }
    }
}
