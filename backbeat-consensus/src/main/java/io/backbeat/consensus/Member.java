package io.backbeat.consensus;

/**
 * One voting member of the consensus group as this node sees it.
 *
 * @param id            node id
 * @param address       consensus address {@code host:port}
 * @param leader        whether it is the current leader
 * @param lastContactMs milliseconds since this node last heard from it (known on the leader for every
 *                      follower, on a follower for the leader; 0 for this node itself), or null
 */
public record Member(String id, String address, boolean leader, Long lastContactMs) {
}
