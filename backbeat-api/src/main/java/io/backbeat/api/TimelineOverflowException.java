package io.backbeat.api;

/**
 * Thrown when a timeline computation would leave the range of a {@code long} (nanoseconds since
 * the epoch or beat indexes). The timeline never wraps silently.
 */
public final class TimelineOverflowException extends ArithmeticException {
    private static final long serialVersionUID = 1L;

    public TimelineOverflowException(String message) {
        super(message);
    }
}
