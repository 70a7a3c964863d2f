package io.backbeat.testkit;

import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executor of {@link VirtualClock#executor()}: every task is followed from hand-over to end, so
 * the clock's advance can wait for it. Each task runs on a daemon thread
 * ({@code virtual-clock-worker-N}, made on demand, kept 10 s idle) that takes part in the clock's
 * time while the task runs. The bookkeeping is guarded by the clock's lock, the monitor its
 * waiters wait on: a task's end notifies them.
 */
final class ClockExecutor implements Executor {
    private final Object clock; // the clock's lock
    private final Set<Thread> participants; // the clock's, guarded by its lock
    /** Threads running a task. */
    private final Set<Thread> workers = new HashSet<>();
    /** Tasks handed over and not yet ended (identity). */
    private final Set<Runnable> liveTasks = Collections.newSetFromMap(new IdentityHashMap<>());
    private int pendingTasks; // handed over, not yet started
    private final AtomicInteger threads = new AtomicInteger();
    private final ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "virtual-clock-worker-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
            });

    /**
     * @param clock        the clock's lock
     * @param participants the threads that take part in the clock's time (guarded by its lock): a
     *                     task's thread is one while the task runs
     */
    ClockExecutor(Object clock, Set<Thread> participants) {
        this.clock = clock;
        this.participants = participants;
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        synchronized (clock) {
            pendingTasks++;
            liveTasks.add(task);
        }
        try {
            pool.execute(() -> runTask(task));
        } catch (RuntimeException | Error e) {
            synchronized (clock) {
                pendingTasks--;
                liveTasks.remove(task);
                clock.notifyAll();
            }
            throw e;
        }
    }

    private void runTask(Runnable task) {
        Thread me = Thread.currentThread();
        synchronized (clock) {
            pendingTasks--;
            workers.add(me);
            participants.add(me);
        }
        try {
            task.run();
        } finally {
            synchronized (clock) {
                workers.remove(me);
                participants.remove(me);
                liveTasks.remove(task);
                clock.notifyAll();
            }
            Thread.interrupted(); // a cancellation's interrupt stays with the task it was meant for
        }
    }

    /** Whether {@code t} is running a task of this executor. Holds the clock's lock. */
    boolean isWorker(Thread t) {
        return workers.contains(t);
    }

    /** Whether {@code task} was handed over and has not ended yet. Holds the clock's lock. */
    boolean follows(Object task) {
        return liveTasks.contains(task);
    }

    /** How many tasks were handed over and have not started yet. Holds the clock's lock. */
    int pendingTasks() {
        return pendingTasks;
    }
}
