package io.backbeat.pulse;

import io.backbeat.api.TimelineDescriptor;
import io.backbeat.pulse.consensus.Consensus;
import io.backbeat.pulse.consensus.LeadershipState;
import io.backbeat.pulse.consensus.TimelineCommand;
import io.backbeat.pulse.consensus.TimelineStateMachine;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
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
    private volatile TimelineDescriptor timeline;

    InMemoryConsensus(String nodeId) {
        this.nodeId = nodeId;
        this.state = LeadershipState.initial(nodeId, 1);
    }

    @Override
    public void start() {
    }

    /** Sets this node's view and tells the listeners, as a backend would. */
    void set(boolean leader, long term, String leaderId) {
        state = new LeadershipState(nodeId, leader, term, leaderId, 1);
        listeners.forEach(l -> l.accept(state));
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
        return timeline;
    }

    @Override
    public synchronized CompletableFuture<TimelineDescriptor> submit(TimelineCommand command) {
        try {
            timeline = TimelineStateMachine.apply(timeline, command);
            return CompletableFuture.completedFuture(timeline);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
    }
}
