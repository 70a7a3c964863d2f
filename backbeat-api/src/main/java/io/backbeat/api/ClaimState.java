package io.backbeat.api;

/** The outcome a service reports for a (beat, phase) in a {@link StatusClaim}. */
public enum ClaimState {
    COMPLETED("completed"), FAILED("failed"), SKIPPED("skipped"), LATE("late");

    private final String wire;

    ClaimState(String wire) {
        this.wire = wire;
    }

    /** The JSON string form. */
    public String wireName() {
        return wire;
    }

    /** Parses the JSON string form; {@code null} when unknown. */
    public static ClaimState fromWire(String s) {
        for (ClaimState c : values()) {
            if (c.wire.equals(s)) {
                return c;
            }
        }
        return null;
    }
}
