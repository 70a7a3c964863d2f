package io.backbeat.client.stages;

import io.backbeat.client.work.BoundedWorkQueue;
import io.backbeat.client.work.OfferResult;
import io.backbeat.client.work.OverflowPolicy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Seed "Reds and Blues": a pipeline of stages, each marked IO-bound (red) or CPU-bound (blue), each
 * with its own worker threads, joined by bounded, measured queues ({@link BoundedWorkQueue}, policy
 * BLOCK, so a slow stage pushes back instead of growing a queue). A stage may take batches (bulk
 * drain). {@link #snapshot()} gives every stage's utilization, saturation and errors and names the
 * likeliest bottleneck. Thread-safe; {@link #close()} stops the workers.
 *
 * @param <T> the item type
 */
public final class StagePipeline<T> implements AutoCloseable {
    private final List<Stage<T>> stages;
    private final long started = System.nanoTime();

    private StagePipeline(List<Stage<T>> stages) {
        this.stages = stages;
        for (Stage<T> s : stages) {
            s.start();
        }
    }

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /** Offers an item to the first stage (blocks up to the queue's timeout when it is full). */
    public OfferResult submit(T item) {
        return stages.get(0).input.offer(item);
    }

    /** The USE metrics of every stage and the likeliest bottleneck. */
    public PipelineSnapshot snapshot() {
        long elapsed = Math.max(1, System.nanoTime() - started);
        List<StageSnapshot> out = new ArrayList<>();
        for (Stage<T> s : stages) {
            var q = s.input.stats();
            out.add(new StageSnapshot(s.name, s.kind, s.workers, s.processed.sum(), s.errors.sum(),
                    Math.min(1.0, s.busyNanos.sum() / (double) (elapsed * s.workers)), q.depth(), q.capacity(),
                    q.meanWait(), s.refused.sum()));
        }
        return PipelineSnapshot.of(out);
    }

    @Override
    public void close() {
        for (Stage<T> s : stages) {
            s.input.close();
        }
        for (Stage<T> s : stages) {
            for (Thread t : s.threads) {
                t.interrupt();
            }
        }
    }

    private static final class Stage<T> {
        final String name;
        final StageKind kind;
        final int workers;
        final int batch;
        final Function<List<T>, List<T>> handler;
        final BoundedWorkQueue<T> input;
        final LongAdder processed = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder busyNanos = new LongAdder();
        final LongAdder refused = new LongAdder();
        final List<Thread> threads = new ArrayList<>();
        Stage<T> next;

        Stage(String name, StageKind kind, int workers, int batch, Function<List<T>, List<T>> handler, int capacity) {
            this.name = name;
            this.kind = kind;
            this.workers = workers;
            this.batch = batch;
            this.handler = handler;
            this.input = BoundedWorkQueue.<T>builder(capacity, OverflowPolicy.BLOCK).name(name)
                    .blockTimeout(Duration.ofSeconds(1)).build();
        }

        void start() {
            for (int i = 0; i < workers; i++) {
                Thread t = new Thread(this::run, "backbeat-stage-" + name + "-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        void run() {
            List<T> items = new ArrayList<>(batch);
            while (!input.isClosed() || input.size() > 0) {
                items.clear();
                try {
                    if (input.drainTo(items, batch, Duration.ofMillis(100)) == 0) {
                        continue;
                    }
                } catch (InterruptedException e) {
                    return;
                }
                long t0 = System.nanoTime();
                List<T> out;
                try {
                    out = handler.apply(List.copyOf(items));
                } catch (RuntimeException e) {
                    errors.add(items.size());
                    busyNanos.add(System.nanoTime() - t0);
                    continue;
                }
                busyNanos.add(System.nanoTime() - t0);
                processed.add(items.size());
                if (next != null && out != null) {
                    for (T o : out) {
                        if (o != null && next.input.offer(o) != OfferResult.ACCEPTED) {
                            refused.increment();
                        }
                    }
                }
            }
        }
    }

    /** Builder: stages in order. */
    public static final class Builder<T> {
        private final List<Stage<T>> stages = new ArrayList<>();
        private int capacity = 1024;

        private Builder() {
        }

        /** Capacity of each stage's input queue (default 1024). */
        public Builder<T> queueCapacity(int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
            }
            this.capacity = capacity;
            return this;
        }

        /** A stage handling one item at a time; returning {@code null} drops the item (e.g. a duplicate). */
        public Builder<T> stage(String name, StageKind kind, int workers, Function<T, T> handler) {
            Objects.requireNonNull(handler);
            return stageBatch(name, kind, workers, 1, batch -> {
                List<T> out = new ArrayList<>(batch.size());
                for (T t : batch) {
                    T r = handler.apply(t);
                    if (r != null) {
                        out.add(r);
                    }
                }
                return out;
            });
        }

        /** A stage that takes up to {@code maxBatch} queued items at once (bulk drain). */
        public Builder<T> stageBatch(String name, StageKind kind, int workers, int maxBatch,
                                     Function<List<T>, List<T>> handler) {
            if (workers < 1 || maxBatch < 1) {
                throw new IllegalArgumentException("workers and batch must be >= 1");
            }
            Stage<T> s = new Stage<>(name, kind, workers, maxBatch, handler, capacity);
            if (!stages.isEmpty()) {
                stages.get(stages.size() - 1).next = s;
            }
            stages.add(s);
            return this;
        }

        public StagePipeline<T> build() {
            if (stages.isEmpty()) {
                throw new IllegalStateException("a pipeline needs at least one stage");
            }
            return new StagePipeline<>(List.copyOf(stages));
        }
    }
}
