package io.backbeat.testkit;

import io.backbeat.api.BeatClock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

/**
 * Virtual time for deterministic tests: wall and monotonic clocks that move only when the test
 * calls {@link #advance}, so an hour of beats runs in milliseconds with the same result every time.
 *
 * <p><b>Who takes part.</b> Threads that sleep on the clock ({@link #sleepUntil}, {@link #sleep},
 * as the client's grid thread does) are woken in time order. Tasks run on the clock's
 * {@link #executor()} (the in-memory pulse's clients run their listener callbacks and their
 * {@code runWithin} work there) take part from the moment they are handed over until they end. Every
 * other thread that reads the clock takes part too, except the threads that advance it. At each
 * instant {@code advance} first runs the actions scheduled for it ({@link #schedule}, on the
 * advancing thread), then wakes the sleepers due, then the {@link #awaitDone} waiters due, and waits
 * (in real time) until every thread that takes part is asleep on the clock again, done, or blocked
 * on a lock that only a later instant can release (held by the advancing thread or by a sleeper).
 *
 * <p><b>Work that takes time.</b> Code under test models work that takes virtual time by sleeping
 * on the clock: {@code clock.sleep(Duration.ofMillis(300))} in a listener, or in work handed to
 * {@code BeatDeadline.runWithin}, returns when the test's {@code advance} reaches that instant, and
 * the rest of the system (other listeners, the pulse, the grid thread) keeps going meanwhile. Called
 * from such a thread while another thread advances, {@link #advance} does the same: the caller's own
 * time passes. Called on the advancing thread itself (from a scheduled action, or from a callback
 * of a client with a direct callback executor), sleeping or advancing runs the clock forward from
 * there (a nested advance): the caller cannot sleep, as nothing else would move time.
 *
 * <p>Thread-safe.
 */
public final class VirtualClock implements BeatClock {
    private static final long SETTLE_TIMEOUT_NANOS = 10_000_000_000L;
    /** How long a settle waits before it looks at what a busy thread is blocked on. */
    private static final long LOCK_LOOK_AFTER_NANOS = 2_000_000L;

    private final long epochBase;
    // the rest is guarded by this clock's lock, the monitor every thread that waits on the clock waits on
    private long now; // monotonic nanoseconds since creation
    private final Sleepers sleepers = new Sleepers(this);
    private final Set<Thread> participants = new HashSet<>();
    /** Threads that advanced the clock from outside its executor (the tests' own): reading never enrols them. */
    private final Set<Thread> drivers = new HashSet<>();
    private Thread advancer; // the thread inside advance, null when none
    private int advanceDepth;
    private final ScheduledActions actions = new ScheduledActions();
    private final ClockExecutor executor = new ClockExecutor(this, participants);

    private VirtualClock(long epochBase) {
        this.epochBase = epochBase;
    }

    /** A clock whose wall time starts at {@code start}. */
    public static VirtualClock startingAt(Instant start) {
        return new VirtualClock(io.backbeat.api.EpochNanos.of(start));
    }

    @Override
    public synchronized long epochNanos() {
        join();
        return epochBase + now;
    }

    @Override
    public synchronized long nanoTime() {
        join();
        return now;
    }

    /** A thread that reads this clock takes part in time: advance waits for it to sleep again. */
    private void join() {
        Thread t = Thread.currentThread();
        if (t != advancer && !drivers.contains(t)) {
            participants.add(t);
        }
    }

    /**
     * Sleeps until the monotonic clock reaches {@code deadline}. On the thread that is advancing the
     * clock (a scheduled action, a callback run inline) it advances the clock to {@code deadline}
     * instead; so it does on a thread that drove the clock before while nobody advances it.
     */
    @Override
    public void sleepUntil(long deadline) throws InterruptedException {
        Thread me = Thread.currentThread();
        synchronized (this) {
            if (!mustLead(me)) {
                waitAsSleeper(me, deadline, null);
                return;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            lead(me);
        }
        runLed(deadline, null);
    }

    /**
     * {@link Thread#sleep} on virtual time: returns once the clock has moved {@code d} on (see
     * {@link #sleepUntil}). This is how code under test models work that takes time.
     *
     * @throws InterruptedException when the thread is interrupted (e.g. {@code runWithin} cancelled
     *                              the work at its deadline)
     */
    public void sleep(Duration d) throws InterruptedException {
        long nanos = nonNegative(d);
        long deadline;
        synchronized (this) {
            join();
            deadline = now + nanos;
        }
        sleepUntil(deadline);
    }

    /**
     * Waits until {@code future} is done or the clock reaches {@code deadline}, on virtual time
     * ({@code BeatDeadline.runWithin} waits for its work this way). When the work ends exactly at the
     * deadline it is in time: the waiter wakes after the other threads due at that instant. Work run
     * on {@link #executor()} is followed exactly; work on another executor is looked at every
     * millisecond of real time, and advance does not wait for it unless its thread reads the clock.
     */
    @Override
    public boolean awaitDone(Future<?> future, long deadline) throws InterruptedException {
        Objects.requireNonNull(future, "future");
        Thread me = Thread.currentThread();
        synchronized (this) {
            join();
            if (future.isDone()) {
                return true;
            }
            if (!mustLead(me)) {
                waitAsSleeper(me, deadline, future);
                return future.isDone();
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            lead(me);
        }
        runLed(deadline, future::isDone);
        return future.isDone();
    }

    /**
     * An executor whose tasks take part in virtual time: each runs on a daemon thread
     * ({@code virtual-clock-worker-N}, made on demand, kept 10 s idle), and {@link #advance} waits for
     * every task handed over to end or to sleep on this clock before time moves on. Give it to a
     * client ({@code callbackExecutor(clock.executor())}, {@code deadlineExecutor(clock.executor())})
     * and its listeners and their {@code runWithin} work can take virtual time. One per clock;
     * nothing to shut down.
     */
    public Executor executor() {
        return executor;
    }

    /** Runs {@code task} on the advancing thread when the monotonic clock reaches {@code nanoTime}. */
    public synchronized void schedule(long nanoTime, Runnable task) {
        actions.add(nanoTime, task);
    }

    /** Runs {@code task} when the wall clock reaches {@code epochNanos}. */
    public synchronized void scheduleAtEpoch(long epochNanos, Runnable task) {
        schedule(epochNanos - epochBase, task);
    }

    /**
     * Moves time forward by {@code d}, step by step through every wake-up and scheduled action, and
     * returns once every thread that takes part is asleep on the clock again (or done).
     *
     * <p>Called while another thread advances the clock (from a listener callback or work on the
     * clock's {@link #executor()}, say), it is the caller's own time that passes: it sleeps {@code d}
     * while the advancing thread moves everything else, as {@link #sleep} does; if interrupted
     * meanwhile it throws {@link CancellationException} with the interrupt flag set. Called on the
     * advancing thread (from a scheduled action or an inline callback) it advances from there. A
     * thread that advanced the clock before (a test's) waits for the other thread's advance to end,
     * then advances by {@code d}.
     */
    public void advance(Duration d) {
        long nanos = nonNegative(d);
        Thread me = Thread.currentThread();
        long target;
        synchronized (this) {
            if (advancer != null && advancer != me && drivers.contains(me) && !executor.isWorker(me)) {
                // a test thread while another thread advances: its turn comes when that one is done
                while (advancer != null) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new CancellationException("interrupted while waiting for another thread's advance");
                    }
                }
            }
            target = now + nanos;
            if (advancer != null && advancer != me) {
                try {
                    waitAsSleeper(me, target, null);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CancellationException("interrupted while waiting for virtual time "
                            + Duration.ofNanos(target) + " (at " + Duration.ofNanos(now) + ")");
                }
                return;
            }
            lead(me);
        }
        runLed(target, null);
    }

    private static long nonNegative(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("cannot go back in time: " + d);
        }
        return d.toNanos();
    }

    /**
     * Whether {@code me} must move time itself rather than wait for it: it is advancing the clock, or
     * it drove it before and nobody advances it now. Holds the lock.
     */
    private boolean mustLead(Thread me) {
        return advancer == me || (advancer == null && drivers.contains(me) && !executor.isWorker(me));
    }

    /** {@code me} (nobody else advancing) becomes the advancing thread, nested or not. Holds the lock. */
    private void lead(Thread me) {
        advancer = me;
        advanceDepth++;
        if (!executor.isWorker(me)) {
            drivers.add(me);
            participants.remove(me);
        }
    }

    /** Advances to {@code target} (or until {@code stop}) after {@link #lead}. */
    private void runLed(long target, BooleanSupplier stop) {
        try {
            run(target, stop);
        } finally {
            synchronized (this) {
                if (--advanceDepth == 0) {
                    advancer = null;
                }
                notifyAll();
            }
        }
    }

    /** Sleeps as a participant until {@code deadline} (or {@code until} is done). Holds the lock. */
    private void waitAsSleeper(Thread me, long deadline, Future<?> until) throws InterruptedException {
        participants.add(me);
        sleepers.sleep(me, deadline, until, until != null && executor.follows(until));
    }

    private void run(long target, BooleanSupplier stop) {
        settle(); // threads that read the clock before this call first go to sleep
        while (true) {
            if (stop != null && stop.getAsBoolean()) {
                return;
            }
            List<Runnable> due = new ArrayList<>();
            synchronized (this) {
                long next = sleepers.nextDeadline(now, target);
                if (actions.dueBefore(next)) {
                    next = Math.max(now, actions.firstAt());
                }
                now = Math.max(now, next);
                actions.takeDue(now, due);
            }
            for (Runnable r : due) {
                r.run(); // an instant's actions (e.g. the pulse's frame) come before the sleepers due then
            }
            synchronized (this) {
                sleepers.wakeUntil(now);
            }
            settle();
            boolean awaitersDue;
            synchronized (this) {
                awaitersDue = sleepers.releaseAwaitersUntil(now);
            }
            if (awaitersDue) {
                settle(); // a waiter for work due at this instant wakes after the work's own thread
            }
            synchronized (this) {
                boolean pending = actions.dueBy(target);
                if (now >= target && !pending) {
                    return;
                }
            }
        }
    }

    /**
     * Waits (in real time) until no task handed to the executor is waiting to start and every thread
     * that takes part is asleep with a deadline in the future, has ended, or is blocked on a lock
     * that only a later instant can release.
     */
    private void settle() {
        Thread me = Thread.currentThread();
        long started = System.nanoTime();
        long limit = started + SETTLE_TIMEOUT_NANOS;
        synchronized (this) {
            while (true) {
                String busy = null;
                participants.removeIf(t -> !t.isAlive());
                // a thread busy for a while may be blocked for good: only then is it worth asking the JVM
                boolean lookAtLocks = System.nanoTime() - started > LOCK_LOOK_AFTER_NANOS;
                for (Thread t : participants) {
                    if (t != me && !quiet(t, me, lookAtLocks)) {
                        busy = "thread " + t.getName() + " (" + t.getState() + ")";
                        break;
                    }
                }
                if (busy == null && executor.pendingTasks() > 0) {
                    busy = executor.pendingTasks() + " task(s) handed to the clock's executor";
                }
                if (busy == null) {
                    return;
                }
                if (System.nanoTime() - limit >= 0) {
                    throw new IllegalStateException(busy + " did not go back to sleep on the clock within 10 s (real"
                            + " time) at virtual time " + Duration.ofNanos(now) + "; a thread that reads the clock must"
                            + " sleep on it (or end) before time moves on: run its work on clock.executor()");
                }
                try {
                    wait(1);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Whether {@code t} lets time move on. Holds the lock. */
    private boolean quiet(Thread t, Thread me, boolean lookAtLocks) {
        if (sleepers.contains(t)) {
            return sleepers.asleep(t);
        }
        return lookAtLocks && stuck(t, me);
    }

    /**
     * {@code t} waits for a lock held by the advancing thread or by a thread asleep on the clock: it
     * cannot run before time moves on, so advance does not wait for it (it catches up later).
     */
    private boolean stuck(Thread t, Thread me) {
        long owner = LockOwners.ownerOf(t, this); // -1 also when it wants this clock: it runs as soon as we wait
        return owner >= 0 && (owner == me.getId() || sleepers.asleep(owner));
    }
}
