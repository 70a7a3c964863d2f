package io.backbeat.consensus;

import io.backbeat.api.TimelineDescriptor;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Who leads, with which term, and the replicated timeline state. Implementations: Apache Ratis
 * (default) and Atomix. Both pass the same contract test suite.
 *
 * <p>Rules every implementation keeps:
 * <ul>
 *   <li>{@link LeadershipState#term()} never decreases on a node;</li>
 *   <li>a node reports {@code leader == true} only while it holds leadership for that term, and
 *       reports the loss through the listener as soon as it learns of it;</li>
 *   <li>{@link #submit} applies commands through {@link TimelineStateMachine#apply} in log order on
 *       every replica; {@link #committedTimeline()} reflects every command this node has applied.</li>
 * </ul>
 */
public interface Consensus extends AutoCloseable {

    /** Starts the node and joins the group. Returns once the node runs (a leader may not be elected yet). */
    void start() throws Exception;

    /** This node's current view. */
    LeadershipState leadership();

    /**
     * Registers a listener for leadership or term changes. Called on a backend thread; must not
     * block. Called once at registration with the current state.
     */
    void onLeadershipChange(Consumer<LeadershipState> listener);

    /** The replicated descriptor as applied on this node, or {@code null} before initialization. */
    TimelineDescriptor committedTimeline();

    /**
     * Replicates {@code command} and completes with the state after it is applied. Works on any
     * node: a follower forwards to the leader. Completes exceptionally when no leader can commit
     * it (no quorum, timeout, closed).
     */
    CompletableFuture<TimelineDescriptor> submit(TimelineCommand command);

    /** The voting members of the current configuration; empty when the backend cannot say. */
    default List<Member> members() {
        return List.of();
    }

    /**
     * Adds a voting member (started already, without {@code --bootstrap}); completes once the new
     * configuration is committed. Backends without configuration changes fail with
     * {@link UnsupportedOperationException}.
     */
    default CompletableFuture<Void> addMember(String nodeId, String address) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                "this consensus backend cannot change its membership at run time"));
    }

    /** Removes a voting member; completes once the new configuration is committed. */
    default CompletableFuture<Void> removeMember(String nodeId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                "this consensus backend cannot change its membership at run time"));
    }

    /** Moves leadership to member {@code nodeId}. */
    default CompletableFuture<Void> transferLeadership(String nodeId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                "this consensus backend cannot transfer leadership on request"));
    }

    /** The consensus (Raft) address {@code host:port} of member {@code nodeId}, or null when unknown. */
    default String peerAddress(String nodeId) {
        return null;
    }

    /**
     * For how much longer, in nanoseconds from now, a majority has confirmed this node's leadership
     * (a leader lease shorter than the election timeout): while it is positive no other node can
     * have been elected. 0 when this node does not lead or has no lease. The emitter publishes
     * only within the lease, so a leader that wakes from a stall or is cut off from its peers
     * publishes nothing. The default (a backend that exposes no lease, such as Atomix) trusts its
     * own view: {@code Long.MAX_VALUE} while {@link #leadership()} says leader.
     */
    default long leaseRemainingNanos() {
        return leadership().leader() ? Long.MAX_VALUE : 0;
    }

    /**
     * The cluster's replicated tempo policy (bounds and the largest change), or {@code null} when the
     * backend does not replicate one (Atomix, or a log written before policies were replicated):
     * then each node applies its own flags.
     */
    default io.backbeat.api.TempoPolicy committedPolicy() {
        return null;
    }

    /** Commands this node's replica refused (malformed, outside policy, a bogus leadership record). */
    default long rejectedCommands() {
        return 0;
    }

    /**
     * Why this node cannot write its consensus log (a full or read-only disk), or null. A node with a
     * storage problem is not ready and does not lead (it hands over).
     */
    default String storageProblem() {
        return null;
    }

    /**
     * When this node leads, hands leadership to another member and returns once it has (or after a
     * bounded wait, leaving the members to elect a leader the usual way). The node stays a member.
     * Lets a planned stop keep the beat going until the next leader has it. The default does nothing
     * (the backend yields in {@link #close()}).
     */
    default void yieldLeadership() {
    }

    /**
     * As {@link #yieldLeadership()}, trying the members in {@code avoid} last (their clocks are off,
     * so they would not stand or would hand the term straight on). The default ignores the hint.
     */
    default void yieldLeadership(java.util.Set<String> avoid) {
        yieldLeadership();
    }

    /**
     * Whether this node may stand for election. A node that must not lead (its clock is off the
     * cluster's) withdraws, so it is not elected while the reason holds: it still votes, replicates
     * and forwards commands, and if it leads when it withdraws it keeps that term until it hands it
     * over ({@link #yieldLeadership}). Every node stands at start.
     *
     * @return whether the backend honours the request; the default cannot withdraw and answers
     *         {@code false}: such a node can still win a term, and must hand it over
     * @throws RuntimeException when the backend could not apply it (the caller may try again)
     */
    default boolean standForElection(boolean stand) {
        return false;
    }

    /**
     * This member's last log entry, when the backend tells it: peers compare it with theirs to see
     * whether one of them can be elected without the other's vote ({@link LogPosition#isBehind}).
     * The default tells nothing.
     */
    default java.util.Optional<LogPosition> lastLogEntry() {
        return java.util.Optional.empty();
    }

    /** Leaves the group (yielding leadership when held) and releases every resource. */
    @Override
    void close();
}
