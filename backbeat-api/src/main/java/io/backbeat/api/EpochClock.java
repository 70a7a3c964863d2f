package io.backbeat.api;

import java.time.Clock;
import java.time.Instant;

/**
 * The wall clock as nanoseconds since the Unix epoch. The grid is defined in wall time so that
 * every node computes the same beats; schedulers turn a grid instant into a {@code System.nanoTime}
 * deadline by reading this clock and the monotonic clock together. Tests pass a virtual clock.
 */
@FunctionalInterface
public interface EpochClock {
    /** Now, nanoseconds since the Unix epoch. */
    long epochNanos();

    /** The system clock (microsecond resolution on Linux). */
    static EpochClock system() {
        Clock utc = Clock.systemUTC();
        return () -> {
            Instant now = utc.instant();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
    }
}
