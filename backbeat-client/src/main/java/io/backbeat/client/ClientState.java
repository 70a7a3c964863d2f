package io.backbeat.client;

import io.backbeat.api.Timeline;
import io.backbeat.api.BeatClock;

/**
 * What the parts of one {@link BeatClient} share: the lock that guards their mutable state, the
 * grid as last learned from the pulse and the term the replicated timeline confirmed.
 */
final class ClientState {
    /** Guards the frame path, the local grid, the dispatch cursor and the timeline requests. */
    final Object lock = new Object();
    final String clusterId;
    final BeatClock clock;
    volatile boolean closed;
    /** The grid, {@code null} before the pulse answered; written under {@link #lock}. */
    volatile Timeline timeline;
    /** The highest term the timeline confirmed, -1 before any; written under {@link #lock}. */
    volatile long term = -1;
    /** {@code true} once a frame was accepted (it stays so); written under {@link #lock}. */
    volatile boolean frameAccepted;
    /** The leader of {@link #term}, empty when unknown; written under {@link #lock}. */
    volatile String leaderId = "";

    ClientState(String clusterId, BeatClock clock) {
        this.clusterId = clusterId;
        this.clock = clock;
    }
}
