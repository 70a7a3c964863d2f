package io.backbeat.consensus;

/**
 * One node's view of leadership.
 *
 * @param nodeId      this node
 * @param leader      {@code true} when this node is the leader in {@code term}
 * @param term        the highest term this node has seen (the fencing token); 0 before any election
 * @param leaderId    the leader's node id, or empty when unknown
 * @param clusterSize number of voting members configured
 */
public record LeadershipState(String nodeId, boolean leader, long term, String leaderId, int clusterSize) {
    public LeadershipState {
        leaderId = leaderId == null ? "" : leaderId;
    }

    /** A node that has not seen any election yet. */
    public static LeadershipState initial(String nodeId, int clusterSize) {
        return new LeadershipState(nodeId, false, 0, "", clusterSize);
    }
}
