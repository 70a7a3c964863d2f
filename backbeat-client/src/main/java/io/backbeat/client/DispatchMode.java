package io.backbeat.client;

/** When phase callbacks fire. */
public enum DispatchMode {
    /** When the leader's frame arrives; the local grid takes over only while degraded. */
    FRAME,
    /**
     * At the grid instant computed from the local timeline; frames only confirm and correct it.
     * Saves the publish-to-delivery latency, at the cost of trusting the local wall clock.
     */
    GRID
}
