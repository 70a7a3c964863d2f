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
    private static final java.time.format.DateTimeFormatter RFC_3339 = java.time.format.DateTimeFormatter
            .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", java.util.Locale.ROOT).withZone(java.time.ZoneOffset.UTC);

    /**
     * {@code epochNanos} as RFC 3339 in UTC, always in one shape, milliseconds included:
     * {@code 2026-11-22T12:58:04.000Z}.
     */
    public static String rfc3339(long epochNanos) {
        return RFC_3339.format(toInstant(epochNanos));
    }

    public static Instant toInstant(long epochNanos) {
        return Instant.ofEpochSecond(Math.floorDiv(epochNanos, NANOS), Math.floorMod(epochNanos, NANOS));
    }
}
