package io.backbeat.api;

/**
 * The clocks of a beat client: wall time (the grid is defined in it), the monotonic clock
 * (deadlines are measured on it) and a way to wait until a monotonic instant
 * ({@link SchedulingClock}, the clock SPI every scheduler of the project shares). The client SDK
 * reads the system clocks by default; the test kit supplies a virtual one.
 *
 * <p>Deadlines remember their clock: two deadlines compare only when they were made on the same
 * clock, so {@link #system()} always returns the same instance.
 */
public interface BeatClock extends SchedulingClock {

    /** The system clocks ({@link SchedulingClock#system()}), one shared instance. */
    static BeatClock system() {
        return SystemSchedulingClock.INSTANCE;
    }
}
