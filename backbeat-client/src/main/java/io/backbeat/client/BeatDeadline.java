package io.backbeat.client;

import io.backbeat.client.spi.BeatClock;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An absolute deadline on the monotonic clock (modelled on gRPC's {@code Deadline}): the end of a
 * phase. Immutable and thread-safe.
 */
public final class BeatDeadline implements Comparable<BeatDeadline> {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService WORKERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "backbeat-deadline-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private final BeatClock clock;
    private final long deadlineNanoTime;

    private BeatDeadline(BeatClock clock, long deadlineNanoTime) {
        this.clock = clock;
        this.deadlineNanoTime = deadlineNanoTime;
    }

    /** A deadline at monotonic instant {@code deadlineNanoTime} of {@code clock}. */
    public static BeatDeadline at(BeatClock clock, long deadlineNanoTime) {
        return new BeatDeadline(clock, deadlineNanoTime);
    }

    /** A deadline {@code d} from now on the system clock. */
    public static BeatDeadline after(Duration d) {
        BeatClock c = BeatClock.system();
        return new BeatDeadline(c, c.nanoTime() + d.toNanos());
    }

    /** The deadline as a {@code System.nanoTime()} value (of this deadline's clock). */
    public long nanoTime() {
        return deadlineNanoTime;
    }

    /** Time left; negative once expired. */
    public Duration timeRemaining() {
        return Duration.ofNanos(deadlineNanoTime - clock.nanoTime());
    }

    /** Time left in {@code unit}; negative once expired. */
    public long timeRemaining(TimeUnit unit) {
        return unit.convert(deadlineNanoTime - clock.nanoTime(), TimeUnit.NANOSECONDS);
    }

    /** {@code true} once the deadline has passed. */
    public boolean isExpired() {
        return deadlineNanoTime - clock.nanoTime() <= 0;
    }

    /** A deadline {@code margin} earlier, e.g. to leave room to report. */
    public BeatDeadline minus(Duration margin) {
        return new BeatDeadline(clock, deadlineNanoTime - margin.toNanos());
    }

    /** A deadline that is a share of the time left (e.g. 0.8 for the tempo guide's 80%). */
    public BeatDeadline share(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        long now = clock.nanoTime();
        return new BeatDeadline(clock, now + (long) ((deadlineNanoTime - now) * fraction));
    }

    /**
     * Runs {@code work} on a deadline worker and waits for it until the deadline. When the deadline
     * passes first, the work is cancelled (its thread interrupted) and
     * {@link DeadlineExceededException} is thrown. An exception of the work is rethrown unwrapped
     * when unchecked, wrapped in {@link java.util.concurrent.CompletionException} otherwise.
     */
    public <T> T runWithin(Callable<T> work) {
        long left = deadlineNanoTime - clock.nanoTime();
        if (left <= 0) {
            throw new DeadlineExceededException("deadline already expired; the work was not started");
        }
        Future<T> f = WORKERS.submit(work);
        try {
            return f.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw DeadlineExceededException.after(Duration.ofNanos(left));
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the work");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new java.util.concurrent.CompletionException(cause);
        }
    }

    /** {@link #runWithin(Callable)} for work without a result. */
    public void runWithin(Runnable work) {
        runWithin(() -> {
            work.run();
            return null;
        });
    }

    @Override
    public int compareTo(BeatDeadline o) {
        return Long.compare(deadlineNanoTime - o.deadlineNanoTime, 0);
    }

    @Override
    public String toString() {
        return "BeatDeadline[" + timeRemaining().toMillis() + " ms left]";
    }
}
