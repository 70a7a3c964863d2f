package io.backbeat.hlc;

/** A remote timestamp lay too far ahead of the local physical clock and was not merged. */
public final class HlcOffsetException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final long aheadMs;

    public HlcOffsetException(String message, long aheadMs) {
        super(message);
        this.aheadMs = aheadMs;
    }

    /** How far ahead of the physical clock the remote wall time was, in milliseconds. */
    public long aheadMs() {
        return aheadMs;
    }
}
