package io.backbeat.api;

import java.time.Instant;

/** Conversions between {@link Instant} and nanoseconds since the Unix epoch (a {@code long}, good until 2262). */
public final class EpochNanos {
    private static final long NANOS = 1_000_000_000L;

    private EpochNanos() {
    }

    /** {@code instant} as epoch nanoseconds; throws {@link ArithmeticException} outside 1677..2262. */
    public static long of(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), NANOS), instant.getNano());
    }

    /** Epoch nanoseconds as an {@link Instant}. */
    public static Instant toInstant(long epochNanos) {
        return Instant.ofEpochSecond(Math.floorDiv(epochNanos, NANOS), Math.floorMod(epochNanos, NANOS));
    }
}
