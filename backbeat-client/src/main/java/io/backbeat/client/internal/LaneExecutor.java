package io.backbeat.client.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs listener lanes on a small pool that grows only when every worker is busy.
 *
 * <p>A fixed set of workers (2 per core, at least 4, at most the maximum) takes lanes in FIFO order,
 * so a phase for 1000 listeners costs a handful of thread wake-ups instead of 1000. A worker is
 * added only when the oldest waiting lane has waited {@value #GROW_AFTER_MICROS} µs or more while
 * every worker was running a lane (all of them in slow or blocked listeners): a worker that is merely
 * slow to wake (a loaded CPU) is not busy, so it never causes growth. A watchdog thread checks every
 * 250 µs while that is so, and sleeps otherwise. The pool never has more than its maximum workers
 * (then lanes wait for one); workers beyond the fixed set retire after the keep-alive idle. Lanes
 * queued when {@link #close()} is called still run; then every worker ends. Thread-safe.
 */
public final class LaneExecutor implements Executor, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LaneExecutor.class);
    /** The default maximum of workers. */
    public static final int DEFAULT_MAX_WORKERS = 64;
    static final long GROW_AFTER_MICROS = 1000;
    private static final long CHECK_NANOS = 250_000L;
    private static final long IDLE_CHECK_NANOS = 100_000_000L;
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(30);
    private static final Runnable STOP = () -> { };

    private record Lane(Runnable task, long queuedNanos) {
    }

    private final LinkedBlockingQueue<Lane> queue = new LinkedBlockingQueue<>();
    private final int base;
    private final int max;
    private final long keepAliveNanos;
    private final long growAfterNanos;
    private final String namePrefix;
    private final AtomicInteger threadNo = new AtomicInteger();
    /** Workers alive (started, not retired); changed under {@code this} when growing or closing. */
    private final AtomicInteger workers = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger();
    private final Thread watchdog;
    private volatile boolean closed;

    /** A pool of 2 workers per core (at least 4) that grows up to {@code maxWorkers}. */
    public LaneExecutor(String namePrefix, int maxWorkers) {
        this(Math.min(maxWorkers, Math.max(4, 2 * Runtime.getRuntime().availableProcessors())), maxWorkers,
                KEEP_ALIVE, Duration.ofNanos(GROW_AFTER_MICROS * 1000), namePrefix);
    }

    /** {@link #LaneExecutor(String, int)} with the default maximum. */
    public LaneExecutor(String namePrefix) {
        this(namePrefix, DEFAULT_MAX_WORKERS);
    }

    LaneExecutor(int base, int max, Duration keepAlive, Duration growAfter, String namePrefix) {
        if (base < 1 || max < base) {
            throw new IllegalArgumentException("need 1 <= base <= max, got base " + base + ", max " + max);
        }
        this.base = base;
        this.max = max;
        this.keepAliveNanos = keepAlive.toNanos();
        this.growAfterNanos = growAfter.toNanos();
        this.namePrefix = namePrefix;
        this.watchdog = new Thread(this::watch, namePrefix + "watchdog");
        this.watchdog.setDaemon(true);
        for (int i = 0; i < base; i++) {
            addWorker();
        }
        this.watchdog.start();
    }

    @Override
    public void execute(Runnable lane) {
        if (closed) {
            throw new RejectedExecutionException("the listener pool is closed");
        }
        queue.add(new Lane(lane, System.nanoTime()));
        if (busy.get() >= workers.get()) { // every worker busy: the watchdog decides whether to grow
            LockSupport.unpark(watchdog);
        }
    }

    /** Workers alive now. */
    public int workers() {
        return workers.get();
    }

    /** Workers running a lane now. */
    int busy() {
        return busy.get();
    }

    private synchronized boolean addWorker() {
        if (closed || workers.get() >= max) {
            return false;
        }
        workers.incrementAndGet();
        Thread t = new Thread(this::work, namePrefix + threadNo.incrementAndGet());
        t.setDaemon(true);
        t.start();
        return true;
    }

    private void work() {
        while (true) {
            Lane lane;
            try {
                lane = queue.poll(keepAliveNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                continue; // only a listener interrupts these threads: ignored, as between lanes
            }
            if (lane == null) {
                int w = workers.get();
                if (w > base && workers.compareAndSet(w, w - 1)) {
                    return; // an extra worker, idle for the keep-alive: retired
                }
                continue;
            }
            if (lane.task() == STOP) {
                workers.decrementAndGet();
                return;
            }
            if (busy.incrementAndGet() >= workers.get() && !queue.isEmpty()) {
                LockSupport.unpark(watchdog); // this was the last free worker and lanes wait
            }
            try {
                lane.task().run();
            } catch (Throwable t) { // lanes catch their listeners' throws; this is a last resort
                LOG.error("listener lane failed", t);
            } finally {
                busy.decrementAndGet();
                Thread.interrupted(); // a listener's interrupt must not reach the next lane
            }
        }
    }

    private void watch() {
        while (!closed) {
            Lane head = queue.peek();
            if (head == null || busy.get() < workers.get()) {
                LockSupport.parkNanos(this, IDLE_CHECK_NANOS); // woken when every worker is busy
                continue;
            }
            if (System.nanoTime() - head.queuedNanos() >= growAfterNanos) {
                int grow = Math.min(4, queue.size());
                for (int i = 0; i < grow && addWorker(); i++) {
                    // each new worker takes a waiting lane
                }
                if (workers.get() >= max) {
                    LOG.debug("listener pool at its maximum of {} workers, all busy", max);
                }
            }
            LockSupport.parkNanos(this, workers.get() >= max ? IDLE_CHECK_NANOS : CHECK_NANOS);
        }
    }

    /** Rejects new lanes; lanes already queued still run, then every worker ends. */
    @Override
    public void close() {
        int n;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            n = workers.get();
        }
        LockSupport.unpark(watchdog);
        for (int i = 0; i < n; i++) {
            queue.add(new Lane(STOP, System.nanoTime()));
        }
    }
}
