package io.backbeat.api;

import java.util.concurrent.locks.LockSupport;

/** The one park-then-spin sleep of the project, on the system clocks. */
final class SystemSchedulingClock implements BeatClock {
    static final SystemSchedulingClock INSTANCE = new SystemSchedulingClock();
    /** The last stretch of a wait is spun: parking wakes up to ~0.1 ms late. */
    private static final long SPIN_NANOS = 200_000L;

    private final EpochClock wall = EpochClock.system();

    private SystemSchedulingClock() {
    }

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
            if (left > SPIN_NANOS) {
                LockSupport.parkNanos(left - SPIN_NANOS / 2);
            } else {
                Thread.onSpinWait();
            }
        }
    }
}
