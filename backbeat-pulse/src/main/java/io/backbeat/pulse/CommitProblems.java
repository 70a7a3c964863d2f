package io.backbeat.pulse;

/**
 * The last commit failure of this node (a take-over or a tempo change that could not be committed),
 * remembered for {@link #MEMORY_NANOS} after it was seen: {@code /health} reports it and
 * {@code GET /tempo} gives it as the reason a change cannot be made now.
 */
final class CommitProblems {
    /** A problem is reported for this long after it was last seen. */
    static final long MEMORY_NANOS = 10_000_000_000L;

    private volatile String problem;
    private volatile long seenNanos;

    void note(String what) {
        problem = what;
        seenNanos = System.nanoTime();
    }

    /** The problem seen within the last {@link #MEMORY_NANOS}, or null. */
    String recent() {
        String p = problem;
        return p != null && System.nanoTime() - seenNanos < MEMORY_NANOS ? p : null;
    }
}
