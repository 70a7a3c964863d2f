package io.backbeat.pulse.consensus;

import io.backbeat.api.TimelineDescriptor;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
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
 */
public final class RatisConsensus implements Consensus {
    private static final Logger LOG = LoggerFactory.getLogger(RatisConsensus.class);

    private final ConsensusSettings settings;
    private final RaftGroup group;
    private final RaftPeerId selfId;
    private final TimelineMachine machine = new TimelineMachine();
    private final List<Consumer<LeadershipState>> listeners = new CopyOnWriteArrayList<>();
    private final Object viewLock = new Object();
    private RaftServer server;
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
    }

    @Override
    public void start() throws IOException {
        RaftProperties props = new RaftProperties();
        GrpcConfigKeys.Server.setPort(props, settings.self().port());
        Files.createDirectories(settings.dataDir());
        RaftServerConfigKeys.setStorageDir(props, List.of(settings.dataDir().toFile()));
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(300, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(600, TimeUnit.MILLISECONDS));
        boolean existing = Files.isDirectory(settings.dataDir().resolve(group.getGroupId().getUuid().toString()));
        server = RaftServer.newBuilder().setServerId(selfId).setStateMachine(machine).setProperties(props)
                .setGroup(group)
                .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                .build();
        server.start();
        RaftProperties clientProps = new RaftProperties();
        client = RaftClient.newBuilder().setProperties(clientProps).setRaftGroup(group)
                // short sleeps: right after an election the new leader refuses writes until its first
                // entry commits (tens of ms); a 100 ms sleep there delayed its take-over by 0.3-0.5 s
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(250,
                        TimeDuration.valueOf(20, TimeUnit.MILLISECONDS)))
                .build();
        monitor = new Thread(this::watch, "backbeat-ratis-" + settings.nodeId());
        monitor.setDaemon(true);
        monitor.start();
        LOG.info("Ratis node {} started on port {} in group {} of {}", settings.nodeId(), settings.self().port(),
                group.getGroupId(), settings.members());
    }

    @Override
    public LeadershipState leadership() {
        RaftServer s = server;
        if (s == null || closed) {
            LeadershipState v = lastView;
            return new LeadershipState(v.nodeId(), false, v.term(), v.leaderId(), v.clusterSize());
        }
        try {
            DivisionInfo info = s.getDivision(group.getGroupId()).getInfo();
            RaftPeerId leader = info.getLeaderId();
            long term = info.getCurrentTerm();
            synchronized (viewLock) {
                highestTerm = Math.max(highestTerm, term);
                return new LeadershipState(settings.nodeId(), info.isLeader() && term >= highestTerm, highestTerm,
                        leader == null ? "" : leader.toString(), group.getPeers().size());
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
        return machine.state;
    }

    @Override
    public CompletableFuture<TimelineDescriptor> submit(TimelineCommand command) {
        RaftClient c = client;
        if (c == null || closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("consensus node is not running"));
        }
        return c.async().send(Message.valueOf(ByteString.copyFrom(command.encode()))).thenApply(this::decodeReply);
    }

    private TimelineDescriptor decodeReply(RaftClientReply reply) {
        if (!reply.isSuccess()) {
            throw new IllegalStateException("command not committed: " + reply.getException());
        }
        return decodeState(reply.getMessage().getContent().toByteArray());
    }

    static byte[] encodeState(TimelineDescriptor d) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeBoolean(d != null);
            if (d != null) {
                TimelineCommand.writeDescriptor(out, d);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    static TimelineDescriptor decodeState(byte[] b) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            return in.readBoolean() ? TimelineCommand.readDescriptor(in) : null;
        } catch (IOException e) {
            throw new IllegalStateException("unreadable timeline state", e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
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
        if (c == null || settings.members().size() < 2) {
            return;
        }
        long deadline = System.nanoTime() + 3_000_000_000L;
        for (ConsensusSettings.Peer p : settings.members()) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (p.id().equals(settings.nodeId()) || left < 100) {
                continue;
            }
            try {
                long t0 = System.nanoTime();
                RaftClientReply r = c.admin().transferLeadership(RaftPeerId.valueOf(p.id()), Math.min(left, 2000));
                if (r.isSuccess()) {
                    LOG.info("{} handed leadership to {} in {} ms", settings.nodeId(), p.id(),
                            (System.nanoTime() - t0) / 1_000_000L);
                    return;
                }
                LOG.info("{} could not hand leadership to {}: {}", settings.nodeId(), p.id(), r.getException());
            } catch (IOException | RuntimeException e) {
                LOG.info("{} could not hand leadership to {}: {}", settings.nodeId(), p.id(), e.toString());
            }
        }
    }

    /** The replicated state machine: one descriptor. */
    private final class TimelineMachine extends BaseStateMachine {
        private volatile TimelineDescriptor state;

        @Override
        public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
            LogEntryProto entry = trx.getLogEntry();
            byte[] data = entry.getStateMachineLogEntry().getLogData().toByteArray();
            TimelineDescriptor next;
            try {
                next = TimelineStateMachine.apply(state, TimelineCommand.decode(data));
            } catch (RuntimeException e) {
                LOG.warn("unreadable command at index {} ignored: {}", entry.getIndex(), e.getMessage());
                next = state;
            }
            state = next;
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(encodeState(next))));
        }

        @Override
        public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
            synchronized (RatisConsensus.this) {
                RatisConsensus.this.notifyAll(); // wake the monitor now
            }
        }
    }
}
