package io.backbeat.work.stages;

import io.backbeat.work.BoundedWorkQueue;
import io.backbeat.work.OfferResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stage of a {@link PipelinedProcessor}: its input queue, its worker threads and its counters.
 * A stage takes one item at a time ({@link PipelinedProcessor.StageHandler}) or drains up to
 * {@code maxBatch} items at once ({@link PipelinedProcessor.BatchHandler}). When its last worker
 * ends (input closed and empty, or interrupted) it closes the next stage's queue.
 *
 * @param <T> payload type
 */
final class Stage<T> {
    private static final Logger LOG = LoggerFactory.getLogger(Stage.class);
    private static final Duration POLL = Duration.ofSeconds(1);

    /** An item on its way: the beat it belongs to and its payload. */
    record Job<T>(long beatIndex, T payload) {
    }

    /** What every stage of one pipeline shares. */
    record Shared<T>(LongSupplier clock, PipelinedProcessor.StageHandler<T> completion,
                     PipelinedProcessor.ItemListener<? super T> failureListener,
                     PipelinedProcessor.ItemListener<? super T> dropListener) {
    }

    final String phase;
    final StageKind kind;
    final BoundedWorkQueue<Job<T>> queue;
    final List<Thread> threads = new ArrayList<>();
    private final PipelinedProcessor.StageHandler<T> itemHandler;
    private final PipelinedProcessor.BatchHandler<T> batchHandler;
    private final int maxBatch;
    private final Shared<T> shared;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong processed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong filtered = new AtomicLong();
    private final AtomicLong forwardRefused = new AtomicLong();
    private final AtomicLong busyNanos = new AtomicLong();
    private final AtomicLong maxNanos = new AtomicLong();
    private Stage<T> next;

    Stage(String phase, StageKind kind, int workers, int maxBatch, PipelinedProcessor.StageHandler<T> itemHandler,
          PipelinedProcessor.BatchHandler<T> batchHandler, BoundedWorkQueue<Job<T>> queue, String threadName,
          Shared<T> shared) {
        this.phase = phase;
        this.kind = kind;
        this.maxBatch = maxBatch;
        this.itemHandler = itemHandler;
        this.batchHandler = batchHandler;
        this.queue = queue;
        this.shared = shared;
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(this::run, workers == 1 ? threadName : threadName + "-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    void linkTo(Stage<T> nextStage) {
        this.next = nextStage;
    }

    void start() {
        running.set(threads.size());
        for (Thread t : threads) {
            t.start();
        }
    }

    int workers() {
        return threads.size();
    }

    boolean isAlive() {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return true;
            }
        }
        return false;
    }

    private void run() {
        List<Job<T>> batch = new ArrayList<>(maxBatch);
        try {
            while (true) {
                if (batchHandler == null) {
                    Job<T> job = queue.poll(POLL);
                    if (job != null) {
                        handle(job);
                        continue;
                    }
                } else {
                    batch.clear();
                    if (queue.drainTo(batch, maxBatch, POLL) > 0) {
                        handleBatch(batch);
                        continue;
                    }
                }
                if (queue.isClosed() && queue.size() == 0) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (running.decrementAndGet() == 0 && next != null) {
                next.queue.close(); // upstream done: downstream may finish
            }
        }
    }

    private void handle(Job<T> job) throws InterruptedException {
        long t0 = shared.clock().getAsLong();
        T out;
        try {
            out = itemHandler.handle(job.beatIndex(), job.payload());
        } catch (InterruptedException e) {
            record(t0);
            failed.incrementAndGet();
            report(shared.failureListener(), job, e);
            throw e;
        } catch (Exception e) {
            record(t0);
            failed.incrementAndGet();
            report(shared.failureListener(), job, e);
            return;
        }
        record(t0);
        if (out == null) {
            filtered.incrementAndGet();
            return;
        }
        processed.incrementAndGet();
        forward(new Job<>(job.beatIndex(), out));
    }

    private void handleBatch(List<Job<T>> jobs) throws InterruptedException {
        List<T> payloads = new ArrayList<>(jobs.size());
        for (Job<T> j : jobs) {
            payloads.add(j.payload());
        }
        long beat = jobs.get(jobs.size() - 1).beatIndex();
        long t0 = shared.clock().getAsLong();
        List<T> out;
        try {
            out = batchHandler.handle(List.copyOf(payloads));
        } catch (Exception e) {
            record(t0);
            failed.addAndGet(jobs.size());
            for (Job<T> j : jobs) {
                report(shared.failureListener(), j, e);
            }
            if (e instanceof InterruptedException ie) {
                throw ie;
            }
            return;
        }
        record(t0);
        processed.addAndGet(jobs.size());
        if (out != null) {
            for (T o : out) {
                if (o != null) {
                    forward(new Job<>(beat, o));
                }
            }
        }
    }

    private void forward(Job<T> job) {
        if (next != null) {
            OfferResult r = next.queue.offer(job);
            if (!r.accepted() && r != OfferResult.DROPPED_NEWEST) {
                forwardRefused.incrementAndGet();
                report(shared.dropListener(), job, null);
            }
        } else if (shared.completion() != null) {
            try {
                shared.completion().handle(job.beatIndex(), job.payload());
            } catch (Exception e) {
                LOG.warn("completion handler failed for beat {}", job.beatIndex(), e);
            }
        }
    }

    private void record(long t0) {
        long d = Math.max(0L, shared.clock().getAsLong() - t0);
        busyNanos.addAndGet(d);
        maxNanos.accumulateAndGet(d, Math::max);
    }

    void report(PipelinedProcessor.ItemListener<? super T> listener, Job<T> job, Exception cause) {
        if (listener == null) {
            return;
        }
        try {
            listener.on(phase, job.beatIndex(), job.payload(), cause);
        } catch (RuntimeException e) {
            LOG.warn("pipeline listener failed in stage {}", phase, e);
        }
    }

    StageStats stats() {
        return new StageStats(phase, processed.get(), failed.get(), filtered.get(), forwardRefused.get(),
                Duration.ofNanos(busyNanos.get()), Duration.ofNanos(maxNanos.get()), queue.stats());
    }

    /** Utilization, saturation and errors since {@code elapsedNanos} ago, when the pipeline started. */
    StageSnapshot snapshot(long elapsedNanos) {
        var q = queue.stats();
        double utilization = Math.min(1.0, busyNanos.get() / (double) (Math.max(1L, elapsedNanos) * workers()));
        return new StageSnapshot(phase, kind, workers(), processed.get() + filtered.get(), failed.get(), utilization,
                q.depth(), q.capacity(), q.meanWait(), forwardRefused.get());
    }
}
