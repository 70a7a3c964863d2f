package io.backbeat.consensus.atomix;

import io.backbeat.consensus.*;

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
 * {@link TimelineStateMachine#apply}. Protocol session timeout 3 s, linearizable reads;
 * {@link #close()} withdraws before stopping. Leadership is the last state reported by the election's
 * events.
 *
 * <p><b>Lease.</b> Atomix has no leader lease, and an election event can be missed: a leader frozen
 * or cut off past its session timeout resumed in its old term and, unaware, published beside its
 * successor (measured: ~40 s, hundreds of superseded frames). So while this node leads, a daemon thread
 * ({@code backbeat-atomix-lease-<node>}) reads the election every {@value #LEASE_READ_MS} ms with a
 * linearizable query; a read that names this node in its term, sent at {@code t}, grants a lease until
 * {@code t + }{@value #LEASE_MS} ms ({@link #leaseRemainingNanos}); a read naming another leader or a
 * later term ends the leadership at once. The lease is shorter than half the session timeout (no
 * successor can be elected before this node's session expires) and than the fastest failover
 * measured on this backend (2.5 s), so a leader that cannot confirm itself stops publishing before
 * a successor can start. The same thread checks every half second that this node is still a
 * candidate and runs again if its candidacy went with an expired session (otherwise an election whose
 * candidates all expired would have no leader for good).
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
    /** How long a confirming read keeps this node's lease, from the instant the read was sent. */
    static final long LEASE_MS = 1_000;
    /** Time between two confirming reads while leading. */
    static final long LEASE_READ_MS = 100;
    private volatile long leaseUntilNanos;
    private volatile long leaseTerm = -1; // the term the lease was granted in
    private long followerReads; // lease thread only

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
            MultiRaftProtocol protocol = MultiRaftProtocol.builder("raft").withMaxTimeout(Duration.ofSeconds(3))
                    .withReadConsistency(io.atomix.protocols.raft.ReadConsistency.LINEARIZABLE).build();
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
            Thread keeper = new Thread(this::keepLease, "backbeat-atomix-lease-" + settings.nodeId());
            keeper.setDaemon(true);
            keeper.start();
            LOG.info("Atomix node {} joined {}", settings.nodeId(), members);
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.error("Atomix node {} could not join", settings.nodeId(), e);
            }
        }
    }

    /** While this node leads, confirms it by a linearizable read every {@link #LEASE_READ_MS} ms. */
    private void keepLease() {
        long next = System.nanoTime();
        while (!closed) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(this, wait);
                continue;
            }
            next = System.nanoTime() + LEASE_READ_MS * 1_000_000;
            LeaderElection<String> e = election;
            LeadershipState v = view;
            if (e == null) {
                continue;
            }
            if (!v.leader()) {
                if (++followerReads % 5 == 0) {
                    rejoinIfDropped(e);
                }
                continue;
            }
            long sent = System.nanoTime();
            try {
                Leadership<String> l = e.async().getLeadership().get(LEASE_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (l != null && l.leader() != null && l.leader().id().equals(settings.nodeId())
                        && l.leader().term() == v.term()) {
                    leaseUntilNanos = sent + LEASE_MS * 1_000_000;
                    leaseTerm = v.term();
                } else {
                    leaseTerm = -1;
                    LOG.warn("{} believed it led in term {}, but the election says {}: stepping down", settings.nodeId(),
                            v.term(), l == null || l.leader() == null ? "no leader" : l.leader().id() + " in term "
                                    + l.leader().term());
                    stepDown(l);
                    rejoinIfDropped(e);
                }
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException | RuntimeException ex) {
                LOG.debug("{} could not confirm its leadership: {}", settings.nodeId(), ex.toString());
            } catch (InterruptedException ex) {
                return;
            }
        }
    }

    /**
     * Runs for election again when this node is no longer a candidate: a session that expired (the
     * node was frozen or cut off past the session timeout) took its candidacy with it, and an election
     * whose every candidate expired has no leader until someone runs again.
     */
    private void rejoinIfDropped(LeaderElection<String> e) {
        try {
            Leadership<String> l = e.async().getLeadership().get(LEASE_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (!closed && (l == null || l.candidates() == null || !l.candidates().contains(settings.nodeId()))) {
                LOG.info("{} is no longer a candidate in the election (its session expired?): running again",
                        settings.nodeId());
                onLeadership(e.async().run(settings.nodeId()).get(3 * LEASE_MS, java.util.concurrent.TimeUnit.MILLISECONDS));
            }
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException | RuntimeException ex) {
            LOG.debug("{} could not check its candidacy: {}", settings.nodeId(), ex.toString());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** Leaves leadership on a read that names another leader (or none). */
    private synchronized void stepDown(Leadership<String> l) {
        if (l != null && l.leader() != null && l.leader().term() > view.term()) {
            onLeadership(l);
            return;
        }
        if (view.leader()) {
            announce(new LeadershipState(settings.nodeId(), false, view.term(),
                    l != null && l.leader() != null ? l.leader().id() : view.leaderId(), view.clusterSize()));
        }
    }

    /** Sets the view and tells every listener (a failing listener is logged, the others still hear). */
    private synchronized void announce(LeadershipState next) {
        view = next;
        for (Consumer<LeadershipState> c : listeners) {
            try {
                c.accept(next);
            } catch (RuntimeException e) {
                LOG.warn("leadership listener failed", e);
            }
        }
    }

    /** Time left on the lease a confirming read granted; 0 when not leading or unconfirmed. */
    @Override
    public long leaseRemainingNanos() {
        LeadershipState v = view;
        if (!v.leader() || leaseTerm != v.term()) {
            return 0;
        }
        return Math.max(0, leaseUntilNanos - System.nanoTime());
    }

    private void updateCache(byte[] bytes) {
        if (bytes == null || Arrays.equals(bytes, cachedBytes)) {
            return;
        }
        cachedBytes = bytes;
        TimelineStateMachine.State st = StateCodec.decodeFullState(bytes);
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
            announce(next);
        }
    }

    /** The configured members (Atomix 3.1 changes no membership at run time: add and remove answer 501). */
    @Override
    public List<Member> members() {
        LeadershipState v = view;
        return settings.members().stream().map(p -> new Member(p.id(), p.host() + ":" + p.port(),
                p.id().equals(v.leaderId()), p.id().equals(settings.nodeId()) ? Long.valueOf(0) : null)).toList();
    }

    /** The member's address from the configured members (Atomix keeps no separate configuration). */
    @Override
    public String peerAddress(String nodeId) {
        return settings.members().stream().filter(p -> p.id().equals(nodeId)).map(p -> p.host() + ":" + p.port())
                .findFirst().orElse(null);
    }

    @Override
    public LeadershipState leadership() {
        return view;
    }

    @Override
    public synchronized void onLeadershipChange(Consumer<LeadershipState> listener) {
        // under the lock announce() holds: a change cannot reach the new listener before its first state, which
        // would then arrive last and show the term going back (the contract test saw 2 then 1)
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
                        : StateCodec.decodeFullState(cur);
                // the same validation as Ratis, on the proposer: Atomix offers no hook on its replicas
                TimelineStateMachine.Outcome outcome = TimelineStateMachine.check(before, command, -1);
                if (outcome.rejected()) {
                    rejected.incrementAndGet();
                    if (command instanceof TimelineCommand.SetPendingTempo) {
                        throw new IllegalStateException(outcome.rejection());
                    }
                }
                TimelineDescriptor after = outcome.state().descriptor();
                byte[] next = StateCodec.encodeFullState(outcome.state());
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
        announce(new LeadershipState(settings.nodeId(), false, view.term(), view.leaderId(), view.clusterSize()));
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
