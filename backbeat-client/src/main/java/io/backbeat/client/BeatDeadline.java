package io.backbeat.client;

import io.backbeat.api.BeatClock;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An absolute deadline on a monotonic clock (modelled on gRPC's {@code Deadline}): the end of a
 * phase. An immutable value: two deadlines are equal when they are the same instant of the same
 * {@link BeatClock}; deadlines of different clocks are not comparable. Thread-safe.
 *
 * <p>{@link #runWithin(Executor, Callable)} runs work on an executor and gives up on it at the
 * deadline. {@link #runWithin(Callable)} uses the executor of the deadline's origin: for the
 * deadline of a {@link BeatContext}, the client's (a pool it owns and shuts down when it closes,
 * or the one given to {@link BeatClient.Builder#deadlineExecutor}); for a deadline made with
 * {@link #at} or {@link #after}, a new daemon thread for that call. That executor is not part of the
 * value: it takes no part in {@code equals}, {@code hashCode} or {@code compareTo}.
 */
public final class BeatDeadline implements Comparable<BeatDeadline> {
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** One daemon thread per call: nothing is pooled, so there is nothing to shut down. */
    private static final Executor THREAD_PER_CALL = work -> {
        Thread t = new Thread(work, "backbeat-deadline-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        t.start();
    };

    private final BeatClock clock;
    private final long deadlineNanoTime;
    private final Executor runner;

    private BeatDeadline(BeatClock clock, long deadlineNanoTime, Executor runner) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.deadlineNanoTime = deadlineNanoTime;
        this.runner = runner;
    }

    /** A deadline at monotonic instant {@code deadlineNanoTime} of {@code clock}. */
    public static BeatDeadline at(BeatClock clock, long deadlineNanoTime) {
        return new BeatDeadline(clock, deadlineNanoTime, THREAD_PER_CALL);
    }

    /** A deadline whose {@link #runWithin(Callable)} runs on {@code runner} (a client's contexts). */
    static BeatDeadline at(BeatClock clock, long deadlineNanoTime, Executor runner) {
        return new BeatDeadline(clock, deadlineNanoTime, Objects.requireNonNull(runner, "runner"));
    }

    /** A deadline {@code d} from now on the system clock ({@link BeatClock#system()}). */
    public static BeatDeadline after(Duration d) {
        BeatClock c = BeatClock.system();
        return new BeatDeadline(c, c.nanoTime() + d.toNanos(), THREAD_PER_CALL);
    }

    /** The clock this deadline is measured on. */
    public BeatClock clock() {
        return clock;
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
        return new BeatDeadline(clock, deadlineNanoTime - margin.toNanos(), runner);
    }

    /** A deadline that is a share of the time left (e.g. 0.8 for the tempo guide's 80%). */
    public BeatDeadline share(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        long now = clock.nanoTime();
        return new BeatDeadline(clock, now + (long) ((deadlineNanoTime - now) * fraction), runner);
    }

    /**
     * Runs {@code work} on {@code executor} and waits for it until the deadline. When the deadline
     * passes first, the work is cancelled (its thread interrupted) and
     * {@link DeadlineExceededException} is thrown. An exception of the work is rethrown unwrapped
     * when unchecked, wrapped in {@link CompletionException} otherwise.
     *
     * @throws DeadlineExceededException  when the deadline has passed (then the work is not started)
     *                                    or passes while the work runs
     * @throws RejectedExecutionException when the executor refuses the work (e.g. it was shut down)
     */
    public <T> T runWithin(Executor executor, Callable<T> work) {
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(work, "work");
        long left = deadlineNanoTime - clock.nanoTime();
        if (left <= 0) {
            throw new DeadlineExceededException("deadline already expired; the work was not started");
        }
        FutureTask<T> f = new FutureTask<>(work);
        executor.execute(f);
        try {
            if (!clock.awaitDone(f, deadlineNanoTime)) { // on the deadline's clock: virtual time on a virtual clock
                f.cancel(true);
                throw DeadlineExceededException.after(Duration.ofNanos(left));
            }
            return f.get();
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
            throw new CompletionException(cause);
        }
    }

    /** {@link #runWithin(Executor, Callable)} for work without a result. */
    public void runWithin(Executor executor, Runnable work) {
        Objects.requireNonNull(work, "work");
        runWithin(executor, () -> {
            work.run();
            return null;
        });
    }

    /**
     * {@link #runWithin(Executor, Callable)} on the executor of this deadline's origin (see the class
     * description): the client's for a {@link BeatContext}'s deadline, a thread of its own otherwise.
     */
    public <T> T runWithin(Callable<T> work) {
        return runWithin(runner, work);
    }

    /** {@link #runWithin(Callable)} for work without a result. */
    public void runWithin(Runnable work) {
        runWithin(runner, work);
    }

    /**
     * Orders by instant, earliest first.
     *
     * @throws IllegalArgumentException when {@code o} is measured on another clock
     */
    @Override
    public int compareTo(BeatDeadline o) {
        if (!clock.equals(o.clock)) {
            throw new IllegalArgumentException("deadlines of different clocks are not comparable: " + clock + " and "
                    + o.clock);
        }
        return Long.compare(deadlineNanoTime - o.deadlineNanoTime, 0);
    }

    /** The same instant of the same clock. */
    @Override
    public boolean equals(Object o) {
        return o instanceof BeatDeadline d && deadlineNanoTime == d.deadlineNanoTime && clock.equals(d.clock);
    }

    @Override
    public int hashCode() {
        return 31 * clock.hashCode() + Long.hashCode(deadlineNanoTime);
    }

    @Override
    public String toString() {
        return "BeatDeadline[" + timeRemaining().toMillis() + " ms left]";
    }
}
