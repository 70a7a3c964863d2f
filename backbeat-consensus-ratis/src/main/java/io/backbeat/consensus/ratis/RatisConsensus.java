package io.backbeat.consensus.ratis;

import io.backbeat.consensus.*;

import io.backbeat.api.TimelineDescriptor;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;

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
    private final TimelineMachine machine = new TimelineMachine();
    private final List<Consumer<LeadershipState>> listeners = new CopyOnWriteArrayList<>();
    private final Object viewLock = new Object();
    private RaftServer server;
    private volatile StorageProbe storage;
    private RaftClient client;
    private Thread monitor;
    private volatile boolean closed;
    private volatile LeadershipState lastView;
    private long highestTerm;
    private final ClientId localClientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private volatile RaftPeerId rejoinLeader; // the leader this member left through (see leaveIfWiped)
    private volatile List<RaftPeer> outsideConf; // the running cluster's members when this one starts outside

    public RatisConsensus(ConsensusSettings settings) {
        this.settings = settings;
        this.selfId = RaftPeerId.valueOf(settings.nodeId());
        List<RaftPeer> peers = settings.members().stream()
                .map(p -> RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build()).toList();
        RaftGroupId gid = RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("backbeat:" + settings.clusterId())
                .getBytes(StandardCharsets.UTF_8)));
        this.group = RaftGroup.valueOf(gid, peers);
        this.lastView = LeadershipState.initial(settings.nodeId(), peers.size());
    }

    @Override
    public void start() throws IOException {
        RaftProperties props = new RaftProperties();
        // the configured host only (Ratis listens on every interface when no host is set)
        GrpcConfigKeys.Server.setHost(props, settings.bindHost().isBlank() ? settings.self().host() : settings.bindHost());
        GrpcConfigKeys.Server.setPort(props, settings.self().port());
        Files.createDirectories(settings.dataDir());
        storage = new StorageProbe(settings.dataDir(), settings.nodeId()).start();
        RaftServerConfigKeys.setStorageDir(props, List.of(settings.dataDir().toFile()));
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(ELECTION_MIN_MS, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(ELECTION_MAX_MS, TimeUnit.MILLISECONDS));
        // snapshots of the (tiny) timeline state every SNAPSHOT_EVERY entries; the log is purged up to the
        // latest one in small segments, and a member whose log is gone receives the snapshot
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, settings.snapshotEvery());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(props, 2);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
        RaftServerConfigKeys.Log.setPurgeGap(props, 1);
        RaftServerConfigKeys.Log.setSegmentSizeMax(props, org.apache.ratis.util.SizeInBytes.valueOf("64KB"));
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(props, true);
        boolean existing = Files.isDirectory(settings.dataDir().resolve(group.getGroupId().getUuid().toString()));
        org.apache.ratis.conf.Parameters parameters = tlsParameters();
        boolean rejoin = !existing && group.getPeers().size() > 1 && leaveIfWiped(parameters);
        RaftGroup startGroup = group;
        if (outsideConf != null) {
            // itself as a listener (Ratis needs this server in its group; a listener never campaigns)
            List<RaftPeer> peers = new java.util.ArrayList<>(outsideConf);
            peers.add(RaftPeer.newBuilder().setId(selfId).setAddress(settings.self().address())
                    .setStartupRole(org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER).build());
            startGroup = RaftGroup.valueOf(group.getGroupId(), peers);
        }
        server = RaftServer.newBuilder().setServerId(selfId).setStateMachine(machine).setProperties(props)
                .setParameters(parameters)
                .setGroup(startGroup)
                .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                .build();
        server.start();
        RaftProperties clientProps = new RaftProperties();
        // a forwarded command that reaches a dead or stalled node gives up on it after 1 s (default 3 s)
        RaftClientConfigKeys.Rpc.setRequestTimeout(clientProps, TimeDuration.valueOf(1, TimeUnit.SECONDS));
        client = RaftClient.newBuilder().setProperties(clientProps).setRaftGroup(group).setParameters(parameters)
                // short sleeps: right after an election the new leader refuses writes until its first
                // entry commits (tens of ms); a 100 ms sleep there delayed its take-over by 0.3-0.5 s
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(250,
                        TimeDuration.valueOf(20, TimeUnit.MILLISECONDS)))
                .build();
        if (rejoin) {
            Thread t = new Thread(this::joinAgain, "backbeat-rejoin-" + settings.nodeId());
            t.setDaemon(true);
            t.start();
        }
        monitor = new Thread(this::watch, "backbeat-ratis-" + settings.nodeId());
        monitor.setDaemon(true);
        monitor.start();
        LOG.info("Ratis node {} started on port {} in group {} of {}", settings.nodeId(), settings.self().port(),
                group.getGroupId(), settings.members());
    }

    /**
     * gRPC parameters: with {@link ConsensusSettings#tls()}, mutual TLS on the server, on the client
     * this node uses to forward commands, and on admin calls (hand-over).
     */
    private org.apache.ratis.conf.Parameters tlsParameters() {
        org.apache.ratis.conf.Parameters parameters = new org.apache.ratis.conf.Parameters();
        ConsensusSettings.Tls tls = settings.tls();
        if (tls != null) {
            org.apache.ratis.grpc.GrpcTlsConfig conf = new org.apache.ratis.grpc.GrpcTlsConfig(
                    tls.privateKey().toFile(), tls.certChain().toFile(), tls.trustedCas().toFile(), true);
            GrpcConfigKeys.TLS.setConf(parameters, conf);
            GrpcConfigKeys.Server.setTlsConf(parameters, conf);
            GrpcConfigKeys.Client.setTlsConf(parameters, conf);
            GrpcConfigKeys.Admin.setTlsConf(parameters, conf);
            LOG.info("Raft traffic of {} uses mutual TLS (certificate {}, trusted CAs {})", settings.nodeId(),
                    tls.certChain(), tls.trustedCas());
        }
        return parameters;
    }

    /**
     * A member starting on an empty data dir (a replaced disk) while its cluster runs: the leader still
     * remembers how far this member's log reached and would probe it there for ever (Ratis answers
     * "INCONSISTENCY, nextIndex 0" and the leader never backs off below what it thinks was matched).
     * So before its own server starts, such a member asks the running cluster (group info from each
     * peer, 1 s each) whether it is in the leader's configuration; if so it has itself removed, and
     * once its server runs it has itself added again: the leader then treats it as a new member, brings
     * it up to date from its snapshot, and only then counts it in the configuration. A fresh cluster
     * (no leader yet) skips this; a member not in the configuration is left for an operator to add.
     *
     * @return whether this member removed itself and must be added again
     */
    private boolean leaveIfWiped(org.apache.ratis.conf.Parameters parameters) {
        RaftProperties props = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(1, TimeUnit.SECONDS));
        try (RaftClient c = RaftClient.newBuilder().setProperties(props).setRaftGroup(group).setParameters(parameters)
                .setRetryPolicy(RetryPolicies.noRetry()).build()) {
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

    /** After {@link #leaveIfWiped}: has this member added back once its server runs (retries for a minute). */
    private void joinAgain() {
        long began = System.nanoTime();
        while (!closed && System.nanoTime() - began < 60_000_000_000L) {
            try {
                Thread.sleep(500);
                RaftServer.Division d = server.getDivision(group.getGroupId());
                new RatisMembership(d, tlsParameters()).addVia(settings.nodeId(), settings.self().address(),
                        group.getPeers(), rejoinLeader);
                LOG.info("{} joined again; catching up from the leader's snapshot", settings.nodeId());
                return;
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: joining again failed ({}); retrying", settings.nodeId(), e.toString());
            }
        }
    }

    private RatisMembership membership() throws IOException {
        RaftServer s = server;
        if (s == null || closed) {
            throw new IllegalStateException("consensus node is " + (closed ? "closed" : "not started"));
        }
        return new RatisMembership(s.getDivision(group.getGroupId()), tlsParameters());
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
        listeners.add(listener);
        listener.accept(lastView);
    }

    private void watch() {
        while (!closed) {
            LeadershipState now = leadership();
            LeadershipState before = lastView;
            if (now.leader() != before.leader() || now.term() != before.term()
                    || !now.leaderId().equals(before.leaderId())) {
                lastView = now;
                for (Consumer<LeadershipState> l : listeners) {
                    try {
                        l.accept(now);
                    } catch (RuntimeException e) {
                        LOG.warn("leadership listener failed", e);
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

    @Override
    public TimelineDescriptor committedTimeline() {
        return machine.state.descriptor();
    }

    @Override
    public io.backbeat.api.TempoPolicy committedPolicy() {
        return machine.state.policy();
    }

    @Override
    public long rejectedCommands() {
        return machine.rejected.get();
    }

    @Override
    public CompletableFuture<TimelineDescriptor> submit(TimelineCommand command) {
        RaftClient c = client;
        RaftServer s = server;
        if (c == null || s == null || closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("consensus node is not running"));
        }
        Message message = Message.valueOf(ByteString.copyFrom(command.encode()));
        try {
            if (s.getDivision(group.getGroupId()).getInfo().isLeader()) {
                RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(localClientId)
                        .setServerId(selfId).setGroupId(group.getGroupId()).setCallId(callIds.incrementAndGet())
                        .setMessage(message).setType(RaftClientRequest.writeRequestType()).build();
                return submitLocally(s, request, System.nanoTime() + 2_000_000_000L);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("local submit not possible, forwarding: {}", e.toString());
        }
        return c.async().send(message).thenApply(this::decodeReply);
    }

    /**
     * Into this node's own division. Right after an election the leader refuses writes until its first
     * entry commits (tens of ms): retried every 10 ms until {@code giveUpNanos}.
     */
    private CompletableFuture<TimelineDescriptor> submitLocally(RaftServer s, RaftClientRequest request,
                                                                long giveUpNanos) {
        CompletableFuture<RaftClientReply> reply;
        try {
            reply = s.submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return reply.thenCompose(r -> {
            if (!r.isSuccess() && r.getException() instanceof LeaderNotReadyException && !closed
                    && System.nanoTime() - giveUpNanos < 0) {
                return CompletableFuture.supplyAsync(() -> null,
                                CompletableFuture.delayedExecutor(10, TimeUnit.MILLISECONDS))
                        .thenCompose(x -> submitLocally(s, RaftClientRequest.newBuilder().set(request)
                                .setCallId(callIds.incrementAndGet()).build(), giveUpNanos));
            }
            return CompletableFuture.completedFuture(decodeReply(r));
        });
    }

    @Override
    public long leaseRemainingNanos() {
        RaftServer s = server;
        if (s == null || closed) {
            return 0;
        }
        try {
            RaftServer.Division division = s.getDivision(group.getGroupId());
            DivisionInfo info = division.getInfo();
            if (!info.isLeader() || !info.isLeaderReady()) {
                return 0;
            }
            synchronized (viewLock) {
                if (info.getCurrentTerm() < highestTerm) {
                    return 0;
                }
            }
            Set<String> voters = division.getRaftConf().getCurrentPeers().stream().map(p -> p.getId().toString())
                    .collect(Collectors.toSet());
            int needed = voters.size() / 2; // followers that, with this node, make a majority
            if (needed == 0) {
                return Long.MAX_VALUE;
            }
            RoleInfoProto role = info.getRoleInfoProto();
            if (!role.hasLeaderInfo()) {
                return 0;
            }
            long[] elapsedMs = role.getLeaderInfo().getFollowerInfoList().stream()
                    .filter(f -> voters.contains(f.getId().getId().toStringUtf8()))
                    .mapToLong(ServerRpcProto::getLastRpcElapsedTimeMs).sorted().toArray();
            if (elapsedMs.length < needed) {
                return 0;
            }
            // +1 ms: the elapsed time is truncated to whole milliseconds
            return Math.max(0, LEASE.toNanos() - (elapsedMs[needed - 1] + 1) * 1_000_000L);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private TimelineDescriptor decodeReply(RaftClientReply reply) {
        if (!reply.isSuccess()) {
            throw new IllegalStateException("command not committed: " + reply.getException());
        }
        return StateCodec.decodeState(reply.getMessage().getContent().toByteArray());
    }

    @Override
    public String storageProblem() {
        StorageProbe p = storage;
        return p == null ? null : p.problem();
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
            handOver();
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

    /**
     * A leader that leaves on purpose hands its leadership to another member first (Raft leadership
     * transfer: the target starts an election at once), so a planned stop or rolling restart costs
     * one round of votes instead of an election timeout. Bounded to about 3 s; on failure the
     * members elect a leader the usual way.
     */
    @Override
    public void yieldLeadership() {
        if (!closed && leadership().leader()) {
            handOver();
        }
    }

    private void handOver() {
        RaftClient c = client;
        if (c == null || server == null || settings.members().size() < 2) {
            return;
        }
        long deadline = System.nanoTime() + HAND_OVER_BUDGET_MS * 1_000_000L;
        for (String target : responsiveFollowers()) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left < 100) {
                LOG.info("{}: hand-over budget of {} ms spent", settings.nodeId(), HAND_OVER_BUDGET_MS);
                return;
            }
            try {
                long t0 = System.nanoTime();
                RaftClientReply r = c.admin().transferLeadership(RaftPeerId.valueOf(target), left);
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

    /**
     * Hand-over targets: the followers that answered this leader within the last election timeout,
     * most recent first (a transfer to a dead peer only waits out its timeout), then the other
     * members (right after an election Ratis may not have timed any answer yet).
     */
    private List<String> responsiveFollowers() {
        List<String> out = new java.util.ArrayList<>();
        try {
            RoleInfoProto role = server.getDivision(group.getGroupId()).getInfo().getRoleInfoProto();
            if (role.hasLeaderInfo()) {
                role.getLeaderInfo().getFollowerInfoList().stream()
                        .filter(f -> f.getLastRpcElapsedTimeMs() < ELECTION_MAX_MS)
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

    /**
     * The replicated state machine: one descriptor and the cluster's tempo policy, every command
     * validated as it is applied ({@link TimelineStateMachine#check}), on every replica. On the
     * leader, {@code startTransaction} also refuses what no legitimate proposer sends before it is
     * written: an unreadable command, or a leadership record that does not come from this very
     * process, name this node and carry the current term (a client of the Raft port could otherwise
     * record a bogus leader and halt the beat).
     */
    private final class TimelineMachine extends BaseStateMachine {
        private volatile TimelineStateMachine.State state = TimelineStateMachine.State.EMPTY;
        private final org.apache.ratis.statemachine.impl.SimpleStateMachineStorage snapshots =
                new org.apache.ratis.statemachine.impl.SimpleStateMachineStorage();

        @Override
        public void initialize(RaftServer raftServer, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
            super.initialize(raftServer, groupId, raftStorage);
            snapshots.init(raftStorage);
            getLifeCycle().startAndTransition(() -> load(snapshots.loadLatestSnapshot()), IOException.class);
        }

        /** Before a snapshot from the leader replaces this state (Ratis reloads only a paused machine). */
        @Override
        public void pause() {
            if (getLifeCycleState() == org.apache.ratis.util.LifeCycle.State.RUNNING) {
                getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.PAUSING);
                getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.PAUSED);
            }
        }

        /** After a snapshot was installed from the leader (this member's log was behind or gone). */
        @Override
        public void reinitialize() throws IOException {
            load(snapshots.loadLatestSnapshot());
            if (getLifeCycleState() == org.apache.ratis.util.LifeCycle.State.PAUSED) {
                getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.STARTING);
                getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.RUNNING);
            }
        }

        @Override
        public org.apache.ratis.statemachine.StateMachineStorage getStateMachineStorage() {
            return snapshots;
        }

        /** Runs on the state machine's updater thread (as applyTransaction does): the state is consistent. */
        @Override
        public long takeSnapshot() throws IOException {
            org.apache.ratis.server.protocol.TermIndex last = getLastAppliedTermIndex();
            if (last == null || last.getIndex() < 0) {
                return org.apache.ratis.server.raftlog.RaftLog.INVALID_LOG_INDEX;
            }
            TimelineSnapshots.write(snapshots, last, state);
            LOG.debug("{}: snapshot at term {} index {}", settings.nodeId(), last.getTerm(), last.getIndex());
            return last.getIndex();
        }

        private void load(org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo info) throws IOException {
            if (info == null) {
                return;
            }
            state = TimelineSnapshots.read(info);
            updateLastAppliedTermIndex(info.getTerm(), info.getIndex());
            LOG.info("{}: timeline state loaded from snapshot at term {} index {}", settings.nodeId(), info.getTerm(),
                    info.getIndex());
        }
        private final AtomicLong rejected = new AtomicLong();
        private volatile long lastRejectLogNanos = System.nanoTime() - 10_000_000_000L;

        @Override
        public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
            TransactionContext trx = super.startTransaction(request);
            String refusal;
            try {
                TimelineCommand c = TimelineCommand.decode(request.getMessage().getContent().toByteArray());
                refusal = proposalRefusal(c, request);
            } catch (RuntimeException e) {
                refusal = e.getMessage();
            }
            if (refusal != null) {
                noteRejected("proposal from client " + request.getClientId(), refusal);
                trx.setException(new org.apache.ratis.protocol.exceptions.StateMachineException(refusal));
            }
            return trx;
        }

        private String proposalRefusal(TimelineCommand c, RaftClientRequest request) {
            if (c instanceof TimelineCommand.AssumeLeadership a) {
                long term = leadership().term();
                if (!request.getClientId().equals(localClientId) || !a.leaderId().equals(settings.nodeId())
                        || a.term() != term) {
                    return "AssumeLeadership refused: only the leader itself records its leadership, for the "
                            + "current term " + term;
                }
                return null;
            }
            TimelineStateMachine.Outcome o = TimelineStateMachine.check(state, c, -1);
            return o.rejected() && !(c instanceof TimelineCommand.Initialize) ? o.rejection() : null;
        }

        @Override
        public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
            LogEntryProto entry = trx.getLogEntry();
            byte[] data = entry.getStateMachineLogEntry().getLogData().toByteArray();
            TimelineStateMachine.State next = state;
            try {
                TimelineStateMachine.Outcome o = TimelineStateMachine.check(state, TimelineCommand.decode(data),
                        entry.getTerm());
                next = o.state();
                if (o.rejected()) {
                    noteRejected("log index " + entry.getIndex(), o.rejection());
                }
            } catch (RuntimeException e) {
                noteRejected("log index " + entry.getIndex(), e.getMessage());
            }
            state = next;
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(
                    StateCodec.encodeState(next.descriptor()))));
        }

        /** Counted always; logged at most once every 10 s (hostile input must not flood the log). */
        private void noteRejected(String where, String why) {
            long n = rejected.incrementAndGet();
            long now = System.nanoTime();
            if (now - lastRejectLogNanos > 10_000_000_000L) {
                lastRejectLogNanos = now;
                LOG.warn("{}: command rejected at {} ({} rejected so far): {}", settings.nodeId(), where, n, why);
            }
        }

        @Override
        public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
            synchronized (RatisConsensus.this) {
                RatisConsensus.this.notifyAll(); // wake the monitor now
            }
        }
    }
}
