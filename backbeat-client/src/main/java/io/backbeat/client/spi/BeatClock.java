package io.backbeat.client.spi;

import io.backbeat.api.EpochClock;

import java.util.concurrent.locks.LockSupport;

/**
 * The client's clocks: wall time (the grid is defined in it), the monotonic clock (deadlines are
 * measured on it) and a way to wait until a monotonic instant. The test kit supplies a virtual one.
 */
public interface BeatClock extends EpochClock {

    /** Monotonic nanoseconds, as {@link System#nanoTime()}. */
    long nanoTime();

    /**
     * Blocks until {@link #nanoTime()} reaches {@code deadline} (or a little before, if woken);
     * callers re-check the time.
     *
     * @throws InterruptedException when the thread is interrupted
     */
    void sleepUntil(long deadline) throws InterruptedException;

    /** The system clocks: {@code Clock.systemUTC()}, {@code System.nanoTime()}, {@code LockSupport.parkNanos}. */
    static BeatClock system() {
        EpochClock wall = EpochClock.system();
        return new BeatClock() {
            @Override
            public long epochNanos() {
                return wall.epochNanos();
            }

            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleepUntil(long deadline) throws InterruptedException {
                while (true) {
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    if (left > 200_000) {
                        LockSupport.parkNanos(left - 100_000);
                    } else {
                        Thread.onSpinWait(); // the last 0.1-0.2 ms: spin for precision
                    }
                }
            }
        };
    }
}
