package io.backbeat.pulse;

import io.backbeat.api.TimelineDescriptor;
import io.backbeat.consensus.Consensus;
import io.backbeat.consensus.LeadershipState;
import io.backbeat.consensus.TimelineCommand;
import io.backbeat.consensus.TimelineStateMachine;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A single-replica consensus whose leadership the test sets: for emitter tests that need to take
 * leadership away or raise the term at an exact moment. Commands apply through the same
 * {@link TimelineStateMachine} as the real backends.
 */
final class InMemoryConsensus implements Consensus {
    private final String nodeId;
    private final List<Consumer<LeadershipState>> listeners = new CopyOnWriteArrayList<>();
    private volatile LeadershipState state;
    private final AtomicReference<TimelineDescriptor> timeline;
    private volatile long lease = Long.MAX_VALUE;
    private volatile String failCommits;
    private final AtomicInteger yields = new AtomicInteger();
    private final List<Boolean> candidacyCalls = new CopyOnWriteArrayList<>();
    private final AtomicInteger candidacyAsks = new AtomicInteger();
    private volatile boolean canWithdraw = true;
    private volatile RuntimeException candidacyFailure;

    InMemoryConsensus(String nodeId) {
        this(nodeId, new AtomicReference<>());
    }

    private InMemoryConsensus(String nodeId, AtomicReference<TimelineDescriptor> timeline) {
        this.nodeId = nodeId;
        this.timeline = timeline;
        this.state = LeadershipState.initial(nodeId, 1);
    }

    /** Another node of the same group: its own leadership view, the same replicated timeline. */
    InMemoryConsensus peer(String otherNodeId) {
        return new InMemoryConsensus(otherNodeId, timeline);
    }

    @Override
    public void start() {
    }

    /** Sets this node's view and tells the listeners, as a backend would. */
    void set(boolean leader, long term, String leaderId) {
        state = new LeadershipState(nodeId, leader, term, leaderId, 1);
        listeners.forEach(l -> l.accept(state));
    }

    /** The lease this node reports while it leads (nanoseconds; 0 = none). */
    void lease(long nanos) {
        lease = nanos;
    }

    /** Makes every submit fail with {@code why} (null: commits work again), as a full disk would. */
    void failCommits(String why) {
        failCommits = why;
    }

    /** How often the node asked to hand its leadership over. */
    int yields() {
        return yields.get();
    }

    @Override
    public long leaseRemainingNanos() {
        return state.leader() ? lease : 0;
    }

    /** What {@link #standForElection} was asked, in order (true: stand, false: withdraw), when honoured. */
    List<Boolean> candidacyCalls() {
        return List.copyOf(candidacyCalls);
    }

    /** How often {@link #standForElection} was called, honoured or not. */
    int candidacyAsks() {
        return candidacyAsks.get();
    }

    /** Whether this backend can withdraw a member from elections (true unless set). */
    void canWithdraw(boolean can) {
        canWithdraw = can;
    }

    /** Makes {@link #standForElection} throw {@code e} (null: it works again). */
    void failCandidacy(RuntimeException e) {
        candidacyFailure = e;
    }

    @Override
    public boolean standForElection(boolean stand) {
        candidacyAsks.incrementAndGet();
        RuntimeException e = candidacyFailure;
        if (e != null) {
            throw e;
        }
        if (!canWithdraw) {
            return false;
        }
        candidacyCalls.add(stand);
        return true;
    }

    @Override
    public void yieldLeadership() {
        yields.incrementAndGet();
    }

    @Override
    public LeadershipState leadership() {
        return state;
    }

    @Override
    public void onLeadershipChange(Consumer<LeadershipState> listener) {
        listeners.add(listener);
        listener.accept(state);
    }

    @Override
    public TimelineDescriptor committedTimeline() {
        return timeline.get();
    }

    @Override
    public CompletableFuture<TimelineDescriptor> submit(TimelineCommand command) {
        String fail = failCommits;
        if (fail != null) {
            return CompletableFuture.failedFuture(new java.io.IOException(fail));
        }
        try {
            return CompletableFuture.completedFuture(timeline.updateAndGet(t -> TimelineStateMachine.apply(t, command)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
    }
}
