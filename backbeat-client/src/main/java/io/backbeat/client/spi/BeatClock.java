package io.backbeat.client.spi;

import io.backbeat.api.SchedulingClock;

/**
 * The client's clocks: wall time (the grid is defined in it), the monotonic clock (deadlines are
 * measured on it) and a way to wait until a monotonic instant ({@link SchedulingClock}, the clock
 * SPI every scheduler of the project shares). The test kit supplies a virtual one.
 */
public interface BeatClock extends SchedulingClock {

    /** The system clocks ({@link SchedulingClock#system()}). */
    static BeatClock system() {
        SchedulingClock sys = SchedulingClock.system();
        return new BeatClock() {
            @Override
            public long epochNanos() {
                return sys.epochNanos();
            }

            @Override
            public long nanoTime() {
                return sys.nanoTime();
            }

            @Override
            public void sleepUntil(long deadline) throws InterruptedException {
                sys.sleepUntil(deadline);
            }
        };
    }
}
