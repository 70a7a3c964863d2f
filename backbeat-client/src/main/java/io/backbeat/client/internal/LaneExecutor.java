package io.backbeat.client.internal;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs listener lanes on a small pool that grows only when it stops making progress.
 *
 * <p>A fixed set of workers (2 per core, at least 4) takes lanes in FIFO order, so a phase for
 * 1000 listeners costs a handful of thread wake-ups instead of 1000. A watchdog thread, parked while
 * the queue is empty, checks every 250 µs while it is not: when no lane finished since the last
 * check (every worker is blocked in a slow listener), it adds workers, so a blocked listener delays
 * the others by about that interval. Extra workers retire after 30 s idle. Thread-safe.
 */
public final class LaneExecutor implements Executor, AutoCloseable {
    private static final long CHECK_NANOS = 250_000L;
    private static final int MAX_WORKERS = 4096;

    private final ThreadPoolExecutor pool;
    private final int base;
    private final Thread watchdog;
    private volatile boolean closed;

    public LaneExecutor(String namePrefix) {
        this(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), namePrefix);
    }

    LaneExecutor(int base, String namePrefix) {
        this.base = base;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(base, base, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, namePrefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.pool.prestartAllCoreThreads();
        this.watchdog = new Thread(this::watch, namePrefix + "watchdog");
        this.watchdog.setDaemon(true);
        this.watchdog.start();
    }

    @Override
    public void execute(Runnable lane) {
        boolean wasEmpty = pool.getQueue().isEmpty();
        pool.execute(lane);
        if (wasEmpty) {
            LockSupport.unpark(watchdog);
        }
    }

    private void watch() {
        long lastCompleted = pool.getCompletedTaskCount();
        long quietSince = System.nanoTime();
        while (!closed) {
            if (pool.getQueue().isEmpty()) {
                if (pool.getCorePoolSize() > base && System.nanoTime() - quietSince > Duration.ofSeconds(30).toNanos()) {
                    pool.setCorePoolSize(base); // extra idle workers retire
                }
                LockSupport.parkNanos(this, 1_000_000_000L);
                lastCompleted = pool.getCompletedTaskCount();
                continue;
            }
            LockSupport.parkNanos(this, CHECK_NANOS);
            long completed = pool.getCompletedTaskCount();
            if (completed == lastCompleted && !pool.getQueue().isEmpty()) {
                int grow = Math.min(Math.max(1, pool.getQueue().size()), 4);
                int target = Math.min(MAX_WORKERS, pool.getCorePoolSize() + grow);
                if (target > pool.getMaximumPoolSize()) {
                    pool.setMaximumPoolSize(target);
                }
                pool.setCorePoolSize(target);
                quietSince = System.nanoTime();
            }
            lastCompleted = completed;
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(watchdog);
        pool.shutdown();
    }
}
