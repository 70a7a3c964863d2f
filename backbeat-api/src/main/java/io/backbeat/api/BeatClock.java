package io.backbeat.api;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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

    /**
     * Blocks until {@code future} is done or {@link #nanoTime()} reaches {@code deadline}, whichever
     * comes first ({@code BeatDeadline.runWithin} waits for its work this way). The default waits with
     * {@link Future#get(long, TimeUnit)}; a virtual clock waits on virtual time.
     *
     * @return {@code true} when the future is done (its outcome, a failure included, is the caller's to read)
     * @throws InterruptedException when the thread is interrupted
     */
    default boolean awaitDone(Future<?> future, long deadline) throws InterruptedException {
        try {
            future.get(deadline - nanoTime(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException | CancellationException e) {
            // done
        }
        return true;
    }

    /** The system clocks ({@link SchedulingClock#system()}), one shared instance. */
    static BeatClock system() {
        return SystemSchedulingClock.INSTANCE;
    }
}
