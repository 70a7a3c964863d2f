package io.backbeat.client;

import java.time.Duration;

/** Work run with {@link BeatDeadline#runWithin} did not finish before the deadline and was cancelled. */
public final class DeadlineExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DeadlineExceededException(String message) {
        super(message);
    }

    static DeadlineExceededException after(Duration budget) {
        return new DeadlineExceededException("deadline exceeded after " + budget.toMillis() + " ms; the work was cancelled");
    }
}
