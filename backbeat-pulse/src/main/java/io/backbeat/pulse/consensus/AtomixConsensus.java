package io.backbeat.pulse.consensus;

import io.atomix.cluster.Node;
import io.atomix.cluster.discovery.BootstrapDiscoveryProvider;
import io.atomix.core.Atomix;
import io.atomix.core.election.LeaderElection;
import io.atomix.core.election.Leadership;
import io.atomix.core.value.AtomicValue;
import io.atomix.protocols.raft.MultiRaftProtocol;
import io.atomix.protocols.raft.partition.RaftPartitionGroup;
import io.atomix.utils.net.Address;
import io.backbeat.api.TimelineDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * {@link Consensus} on Atomix 3.1: the {@code LeaderElection} primitive picks the pulse leader (its
 * {@code Leader.term()} is the fencing term) and a Raft-backed {@code AtomicValue} holds the
 * encoded {@link TimelineDescriptor}, updated by compare-and-set with
 * {@link TimelineStateMachine#apply}. Protocol session timeout 3 s; {@link #close()} withdraws
 * before stopping. Leadership is the last state reported by the election's events.
 */
public final class AtomixConsensus implements Consensus {
    private static final Logger LOG = LoggerFactory.getLogger(AtomixConsensus.class);

    private final ConsensusSettings settings;
    private final List<Consumer<LeadershipState>> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService submitter;
    private volatile StorageProbe storage;
    private volatile Atomix atomix;
    private volatile LeaderElection<String> election;
    private volatile AtomicValue<byte[]> value;
    private volatile LeadershipState view;
    private volatile TimelineDescriptor cached;
    private volatile io.backbeat.api.TempoPolicy cachedPolicy;
    private final java.util.concurrent.atomic.AtomicLong rejected = new java.util.concurrent.atomic.AtomicLong();
    private volatile byte[] cachedBytes;
    private volatile boolean closed;

    public AtomixConsensus(ConsensusSettings settings) {
        this.settings = settings;
        this.view = LeadershipState.initial(settings.nodeId(), settings.members().size());
        this.submitter = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "backbeat-atomix-" + settings.nodeId());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts joining in the background and returns at once: an Atomix member's start completes only
     * when its Raft groups have a quorum, i.e. once enough peers run, so a blocking start would
     * deadlock nodes started one after another. Leadership stays "not leader" and
     * {@link #submit} fails until the join completes.
     */
    @Override
    public void start() throws java.io.IOException {
        java.nio.file.Files.createDirectories(settings.dataDir());
        storage = new StorageProbe(settings.dataDir(), settings.nodeId()).start();
        Thread joiner = new Thread(this::join, "backbeat-atomix-join-" + settings.nodeId());
        joiner.setDaemon(true);
        joiner.start();
    }

    private void join() {
        try {
            List<ConsensusSettings.Peer> members = settings.members();
            Node[] nodes = members.stream().map(p -> Node.builder().withId(p.id())
                    .withAddress(Address.from(p.host(), p.port())).build()).toArray(Node[]::new);
            String[] ids = members.stream().map(ConsensusSettings.Peer::id).toArray(String[]::new);
            ConsensusSettings.Peer self = settings.self();
            Atomix a = Atomix.builder().withClusterId("backbeat-" + settings.clusterId()).withMemberId(self.id())
                    .withAddress(Address.from(self.host(), self.port()))
                    .withMembershipProvider(BootstrapDiscoveryProvider.builder().withNodes(nodes).build())
                    .withManagementGroup(RaftPartitionGroup.builder("system").withNumPartitions(1).withMembers(ids)
                            .withDataDirectory(settings.dataDir().resolve("system").toFile()).build())
                    .withPartitionGroups(RaftPartitionGroup.builder("raft").withNumPartitions(1)
                            .withPartitionSize(ids.length).withMembers(ids)
                            .withDataDirectory(settings.dataDir().resolve("raft").toFile()).build())
                    .build();
            synchronized (this) {
                if (closed) {
                    return;
                }
                atomix = a;
            }
            a.start().join();
            MultiRaftProtocol protocol = MultiRaftProtocol.builder("raft").withMaxTimeout(Duration.ofSeconds(3)).build();
            LeaderElection<String> e = a.<String>leaderElectionBuilder("backbeat-leader").withProtocol(protocol).build();
            AtomicValue<byte[]> v = a.<byte[]>atomicValueBuilder("backbeat-timeline").withProtocol(protocol).build();
            v.addListener(ev -> updateCache(ev.newValue()));
            updateCache(v.get());
            synchronized (this) {
                if (closed) {
                    return;
                }
                election = e;
                value = v;
            }
            e.addListener(ev -> onLeadership(ev.newLeadership()));
            onLeadership(e.run(settings.nodeId()));
            LOG.info("Atomix node {} joined {}", settings.nodeId(), members);
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.error("Atomix node {} could not join", settings.nodeId(), e);
            }
        }
    }

    private void updateCache(byte[] bytes) {
        if (bytes == null || Arrays.equals(bytes, cachedBytes)) {
            return;
        }
        cachedBytes = bytes;
        TimelineStateMachine.State st = RatisConsensus.decodeFullState(bytes);
        cached = st.descriptor();
        cachedPolicy = st.policy();
    }

    private synchronized void onLeadership(Leadership<String> l) {
        if (l == null || l.leader() == null) {
            return;
        }
        long term = Math.max(view.term(), l.leader().term());
        boolean leads = !closed && l.leader().id().equals(settings.nodeId()) && l.leader().term() >= view.term();
        LeadershipState next = new LeadershipState(settings.nodeId(), leads, term, l.leader().id(),
                settings.members().size());
        if (!next.equals(view)) {
            view = next;
            for (Consumer<LeadershipState> c : listeners) {
                try {
                    c.accept(next);
                } catch (RuntimeException e) {
                    LOG.warn("leadership listener failed", e);
                }
            }
        }
    }

    @Override
    public LeadershipState leadership() {
        return view;
    }

    @Override
    public void onLeadershipChange(Consumer<LeadershipState> listener) {
        listeners.add(listener);
        listener.accept(view);
    }

    @Override
    public TimelineDescriptor committedTimeline() {
        return cached;
    }

    @Override
    public CompletableFuture<TimelineDescriptor> submit(TimelineCommand command) {
        AtomicValue<byte[]> value = this.value;
        if (closed || value == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(closed ? "consensus node is closed"
                    : "consensus node has not joined its group yet"));
        }
        return CompletableFuture.supplyAsync(() -> {
            for (int attempt = 0; attempt < 100; attempt++) {
                byte[] cur = value.get();
                TimelineStateMachine.State before = cur == null ? TimelineStateMachine.State.EMPTY
                        : RatisConsensus.decodeFullState(cur);
                // the same validation as Ratis, on the proposer: Atomix offers no hook on its replicas
                TimelineStateMachine.Outcome outcome = TimelineStateMachine.check(before, command, -1);
                if (outcome.rejected()) {
                    rejected.incrementAndGet();
                    if (command instanceof TimelineCommand.SetPendingTempo) {
                        throw new IllegalStateException(outcome.rejection());
                    }
                }
                TimelineDescriptor after = outcome.state().descriptor();
                byte[] next = RatisConsensus.encodeFullState(outcome.state());
                if (cur != null && Arrays.equals(cur, next)) {
                    updateCache(cur);
                    return after;
                }
                if (value.compareAndSet(cur, next)) {
                    updateCache(next);
                    return after;
                }
            }
            throw new IllegalStateException("timeline update kept conflicting");
        }, submitter);
    }

    @Override
    public io.backbeat.api.TempoPolicy committedPolicy() {
        return cachedPolicy;
    }

    @Override
    public long rejectedCommands() {
        return rejected.get();
    }

    @Override
    public String storageProblem() {
        StorageProbe p = storage;
        return p == null ? null : p.problem();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (storage != null) {
            storage.close();
        }
        LeaderElection<String> election = this.election;
        Atomix atomix = this.atomix;
        try {
            if (election != null) {
                election.withdraw(settings.nodeId());
            }
        } catch (RuntimeException e) {
            LOG.debug("withdraw failed", e);
        }
        synchronized (this) {
            view = new LeadershipState(settings.nodeId(), false, view.term(), view.leaderId(), view.clusterSize());
            for (Consumer<LeadershipState> c : listeners) {
                c.accept(view);
            }
        }
        try {
            if (atomix != null) {
                atomix.stop().get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.debug("stop failed", e);
        }
        submitter.shutdownNow();
    }
}
