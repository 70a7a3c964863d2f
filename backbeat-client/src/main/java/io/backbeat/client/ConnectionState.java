package io.backbeat.client;

/**
 * Where a {@link BeatClient} stands (as Curator's connection states): listen with
 * {@link BeatClient#addStateListener}, wait with {@link BeatClient#awaitLive}.
 */
public enum ConnectionState {
    /** Built, not yet hearing the pulse: no grid or frame yet, or NATS not connected. */
    CONNECTING,
    /** The grid is known and the pulse's frames arrive. */
    LIVE,
    /** The pulse is silent (or NATS is gone): phases are derived from the local grid. */
    DEGRADED,
    /** Closed; nothing more is delivered. */
    CLOSED
}
