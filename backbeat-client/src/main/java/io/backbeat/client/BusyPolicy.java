package io.backbeat.client;

/** What happens when a listener is still running a callback when its next phase arrives. */
public enum BusyPolicy {
    /** The new phase is skipped for this listener and counted ({@link ClientStats#skippedBusy()}). */
    SKIP,
    /**
     * The new phase waits and runs as soon as the listener returns; only the latest one is kept
     * (an older waiting phase is replaced and counted as skipped).
     */
    QUEUE_ONE
}
