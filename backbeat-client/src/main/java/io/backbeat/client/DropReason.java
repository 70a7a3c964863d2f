package io.backbeat.client;

/** Why a received frame was dropped. Every dropped frame is counted under exactly one reason. */
public enum DropReason {
    /** Not a decodable BeatFrame (bad JSON, missing or mistyped field). */
    MALFORMED,
    /** A frame of another cluster on this cluster's subject. */
    WRONG_CLUSTER,
    /** Its term is lower than the highest term accepted: a deposed leader. */
    STALE_TERM,
    /** Its HLC is further ahead of the local clock than the configured max offset, or unparsable. */
    HLC_OFFSET,
    /** Its phase had already ended when it arrived. */
    EXPIRED,
    /**
     * Its (beat, phase), deadline or tempo contradicts the replicated grid the client knows (the
     * client then refreshes its descriptor, in case the grid legitimately changed).
     */
    OFF_GRID,
    /** A (beat, phase) already accepted, or older than one accepted: a replay or duplicate. */
    DUPLICATE,
    /**
     * Its phase has not started yet by this client's clock, beyond a small tolerance: a forged or
     * replayed frame for a later phase, or a pulse whose clock runs ahead of this one.
     */
    EARLY,
    /**
     * The client verifies signatures ({@code BeatClient.Builder.verifySignatures}) and the frame was
     * unsigned, or not signed by one of the cluster's keys.
     */
    SIGNATURE
}
