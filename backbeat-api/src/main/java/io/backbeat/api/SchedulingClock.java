package io.backbeat.api;


/**
 * The clocks a scheduler needs: wall time (the grid is defined in it), the monotonic clock (waits
 * are measured on it) and a way to wait until a monotonic instant. Every component that keeps the
 * beat (the pulse's emitter, the client's grid thread) takes one, so tests run them on virtual time
 * (the test kit's {@code VirtualClock}).
 */
public interface SchedulingClock extends EpochClock {

    /** Monotonic nanoseconds, as {@link System#nanoTime()}. */
    long nanoTime();

    /**
     * Blocks until {@link #nanoTime()} reaches {@code deadline} (the system clock parks until 0.1-0.2 ms
     * before and spins the rest, for precision); callers re-check the time.
     *
     * @throws InterruptedException when the thread is interrupted
     */
    void sleepUntil(long deadline) throws InterruptedException;

    /** The system clocks: {@code Clock.systemUTC()}, {@code System.nanoTime()}, park-then-spin waits. */
    static SchedulingClock system() {
        return SystemSchedulingClock.INSTANCE;
    }
}
