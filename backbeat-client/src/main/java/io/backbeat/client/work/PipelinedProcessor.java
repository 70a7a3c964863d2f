package io.backbeat.client.work;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker thread per phase, joined by {@link BoundedWorkQueue}s: a beat's item moves
 * plan &rarr; execute &rarr; review while the next beat's item is already being planned. For high
 * tempos, where doing a whole beat's work inside one phase callback would not fit.
 *
 * <pre>{@code
 * try (PipelinedProcessor<Order> pipeline = PipelinedProcessor.<Order>builder()
 *         .stage("plan", (beat, order) -> order.planned())
 *         .stage("execute", (beat, order) -> order.executed())
 *         .stage("review", (beat, order) -> { audit(order); return order; })
 *         .queues(256, OverflowPolicy.REJECT, null)
 *         .build()) {
 *     OfferResult r = pipeline.submit(beatIndex, order);       // enters at "plan"
 *     OfferResult s = pipeline.submit(beatIndex, "review", o); // enters at a given stage
 * }
 * }</pre>
 *
 * <p>A stage handler returns the payload for the next stage; returning {@code null} ends the item
 * there (counted as filtered). Items submitted at the first stage leave every stage in submission
 * order (each stage has exactly one worker and FIFO queues).
 *
 * <p><b>Threading.</b> {@link Builder#build() Building} starts one daemon thread per stage, named
 * {@code <threadNamePrefix>-<phase>}. {@code submit} and {@code stats} are thread-safe. Submission
 * follows the queues' {@link OverflowPolicy}; prefer a non-blocking policy when submitting from a
 * beat callback.
 *
 * <p><b>Failure behaviour.</b> A handler that throws drops that item (counted, given to the failure
 * handler; default: logged at WARN); the worker keeps going. An item the next stage's queue refuses
 * is counted in {@link StageStats#forwardRefused()} and given to the drop handler.
 *
 * <p><b>Shutdown.</b> {@link #close()} = {@link #shutdown(Duration) shutdown(drainTimeout)}: no new
 * submissions, queued items flow through every stage, then the workers end; after the timeout the
 * workers are interrupted and whatever is still queued is handed to the drop handler.
 *
 * @param <T> payload type
 */
public final class PipelinedProcessor<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PipelinedProcessor.class);

    /**
     * One stage's work.
     *
     * @param <T> payload type
     */
    @FunctionalInterface
    public interface StageHandler<T> {
        /**
         * Processes {@code payload} of beat {@code beatIndex}.
         *
         * @return the payload for the next stage, or {@code null} to end the item here
         */
        T handle(long beatIndex, T payload) throws Exception;
    }

    /**
     * Receives items the pipeline could not carry: handler failures, refused forwards, items left at
     * shutdown.
     *
     * @param <T> payload type
     */
    @FunctionalInterface
    public interface ItemListener<T> {
        /**
         * @param phase     stage where it happened
         * @param beatIndex the item's beat
         * @param payload   the item
         * @param cause     the handler's exception, or {@code null} for a refused forward or a shutdown
         */
        void on(String phase, long beatIndex, T payload, Exception cause);
    }

    private record Job<T>(long beatIndex, T payload) {
    }

    private final class Stage implements Runnable {
        final int index;
        final String phase;
        final StageHandler<T> handler;
        final BoundedWorkQueue<Job<T>> queue;
        final Thread thread;
        final AtomicLong processed = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong filtered = new AtomicLong();
        final AtomicLong forwardRefused = new AtomicLong();
        final AtomicLong busyNanos = new AtomicLong();
        final AtomicLong maxNanos = new AtomicLong();

        Stage(int index, String phase, StageHandler<T> handler, BoundedWorkQueue<Job<T>> queue, String threadName) {
            this.index = index;
            this.phase = phase;
            this.handler = handler;
            this.queue = queue;
            this.thread = new Thread(this, threadName);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (true) {
                    Job<T> job = queue.poll(Duration.ofSeconds(1));
                    if (job == null) {
                        if (queue.isClosed() && queue.size() == 0) {
                            break;
                        }
                        continue;
                    }
                    handle(job);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (index + 1 < stages.size()) {
                    stages.get(index + 1).queue.close();  // upstream done: downstream may finish
                }
            }
        }

        private void handle(Job<T> job) throws InterruptedException {
            long t0 = clock.getAsLong();
            T out;
            try {
                out = handler.handle(job.beatIndex(), job.payload());
            } catch (InterruptedException e) {
                record(t0);
                failed.incrementAndGet();
                report(failureListener, job, e);
                throw e;
            } catch (Exception e) {
                record(t0);
                failed.incrementAndGet();
                report(failureListener, job, e);
                return;
            }
            record(t0);
            if (out == null) {
                filtered.incrementAndGet();
                return;
            }
            processed.incrementAndGet();
            Job<T> next = new Job<>(job.beatIndex(), out);
            if (index + 1 < stages.size()) {
                OfferResult r = stages.get(index + 1).queue.offer(next);
                if (!r.accepted() && r != OfferResult.DROPPED_NEWEST) {
                    forwardRefused.incrementAndGet();
                    report(dropListener, next, null);
                }
            } else if (completion != null) {
                try {
                    completion.handle(next.beatIndex(), next.payload());
                } catch (Exception e) {
                    LOG.warn("completion handler failed for beat {}", next.beatIndex(), e);
                }
            }
        }

        private void record(long t0) {
            long d = Math.max(0L, clock.getAsLong() - t0);
            busyNanos.addAndGet(d);
            maxNanos.accumulateAndGet(d, Math::max);
        }

        private void report(ItemListener<? super T> listener, Job<T> job, Exception cause) {
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
    }

    private final List<Stage> stages;
    private final Map<String, Stage> byPhase;
    private final StageHandler<T> completion;
    private final ItemListener<? super T> failureListener;
    private final ItemListener<? super T> dropListener;
    private final LongSupplier clock;
    private final Duration drainTimeout;
    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private final Object shutdownLock = new Object();
    private Boolean shutdownOutcome; // guarded by shutdownLock

    private PipelinedProcessor(Builder<T> b) {
        this.completion = b.completion;
        this.failureListener = b.failureListener;
        this.dropListener = b.dropListener;
        this.clock = b.clock;
        this.drainTimeout = b.drainTimeout;
        List<Stage> list = new ArrayList<>();
        Map<String, Stage> map = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, StageHandler<T>> e : b.handlers.entrySet()) {
            BoundedWorkQueue.Builder<Job<T>> qb = BoundedWorkQueue.<Job<T>>builder(b.capacity, b.policy)
                    .name(b.threadNamePrefix + "-" + e.getKey())
                    .nanoClock(b.clock);
            if (b.policy == OverflowPolicy.BLOCK) {
                qb.blockTimeout(b.blockTimeout);
            }
            final String phase = e.getKey();
            qb.onDrop((job, why) -> {
                if (dropListener != null) {
                    try {
                        dropListener.on(phase, job.beatIndex(), job.payload(), null);
                    } catch (RuntimeException ex) {
                        LOG.warn("pipeline drop listener failed in stage {}", phase, ex);
                    }
                }
            });
            Stage s = new Stage(i++, phase, e.getValue(), qb.build(), b.threadNamePrefix + "-" + phase);
            list.add(s);
            map.put(phase, s);
        }
        this.stages = Collections.unmodifiableList(list);
        this.byPhase = Collections.unmodifiableMap(map);
    }

    /** Starts a builder. */
    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    private void start() {
        for (Stage s : stages) {
            s.thread.start();
        }
    }

    /**
     * Submits {@code payload} for beat {@code beatIndex} at the first stage.
     *
     * @return the first stage queue's answer; {@link OfferResult#CLOSED} once shutdown started
     */
    @CheckReturnValue
    public OfferResult submit(long beatIndex, T payload) {
        return submitTo(stages.get(0), beatIndex, payload);
    }

    /**
     * Submits {@code payload} for beat {@code beatIndex} at the stage named {@code phase}; it then
     * flows through the following stages.
     *
     * @throws IllegalArgumentException if there is no such stage
     */
    @CheckReturnValue
    public OfferResult submit(long beatIndex, String phase, T payload) {
        Stage s = byPhase.get(Objects.requireNonNull(phase, "phase"));
        if (s == null) {
            throw new IllegalArgumentException("no stage '" + phase + "'; stages are " + byPhase.keySet());
        }
        return submitTo(s, beatIndex, payload);
    }

    private OfferResult submitTo(Stage s, long beatIndex, T payload) {
        Objects.requireNonNull(payload, "payload");
        if (shuttingDown.get()) {
            return OfferResult.CLOSED;
        }
        return s.queue.offer(new Job<>(beatIndex, payload));
    }

    /** Stage names in pipeline order. */
    public List<String> phases() {
        return List.copyOf(byPhase.keySet());
    }

    /** Per-stage statistics in pipeline order. Any thread. */
    public List<StageStats> stats() {
        List<StageStats> out = new ArrayList<>(stages.size());
        for (Stage s : stages) {
            out.add(s.stats());
        }
        return out;
    }

    /**
     * Stops accepting work and lets queued items flow through, waiting at most {@code timeout};
     * then interrupts the workers and hands whatever is still queued to the drop handler.
     * Idempotent: later calls return the first outcome.
     *
     * @return {@code true} when every queued item went through before the timeout
     */
    public boolean shutdown(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        synchronized (shutdownLock) {
            if (shutdownOutcome != null) {
                return shutdownOutcome;
            }
            shuttingDown.set(true);
            stages.get(0).queue.close();
            long deadline = System.nanoTime() + timeout.toNanos();
            boolean clean = true;
            boolean interrupted = false;
            for (Stage s : stages) {
                long left = deadline - System.nanoTime();
                try {
                    if (left > 0) {
                        s.thread.join(Math.max(1L, left / 1_000_000L));
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                if (s.thread.isAlive()) {
                    clean = false;
                    break;
                }
            }
            if (!clean) {
                for (Stage s : stages) {
                    s.queue.close();
                    s.thread.interrupt();
                }
                for (Stage s : stages) {
                    try {
                        s.thread.join(1_000L);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                    if (s.thread.isAlive()) {
                        LOG.warn("pipeline worker {} did not stop after interrupt", s.thread.getName());
                    }
                    List<Job<T>> left = new ArrayList<>();
                    s.queue.drainTo(left, Integer.MAX_VALUE);
                    for (Job<T> job : left) {
                        s.report(dropListener, job, null);
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            shutdownOutcome = clean;
            return clean;
        }
    }

    /** {@code shutdown(drainTimeout)}. */
    @Override
    public void close() {
        shutdown(drainTimeout);
    }

    /**
     * Builder for {@link PipelinedProcessor}. Not thread-safe.
     *
     * @param <T> payload type
     */
    public static final class Builder<T> {
        private final LinkedHashMap<String, StageHandler<T>> handlers = new LinkedHashMap<>();
        private int capacity = 256;
        private OverflowPolicy policy = OverflowPolicy.BLOCK;
        private Duration blockTimeout = Duration.ofMillis(50);
        private String threadNamePrefix = "backbeat-pipeline";
        private StageHandler<T> completion;
        private ItemListener<? super T> failureListener =
                (phase, beat, payload, e) -> LOG.warn("stage {} failed for beat {}", phase, beat, e);
        private ItemListener<? super T> dropListener;
        private LongSupplier clock = System::nanoTime;
        private Duration drainTimeout = Duration.ofSeconds(5);

        private Builder() {
        }

        /** Adds a stage; stages run in the order added. Phase names must be unique. */
        public Builder<T> stage(String phase, StageHandler<T> handler) {
            Objects.requireNonNull(phase, "phase");
            Objects.requireNonNull(handler, "handler");
            if (phase.isBlank()) {
                throw new IllegalArgumentException("phase must not be blank");
            }
            if (handlers.putIfAbsent(phase, handler) != null) {
                throw new IllegalArgumentException("duplicate stage '" + phase + "'");
            }
            return this;
        }

        /**
         * Every stage's input queue: capacity, overflow policy, and the block timeout (required for
         * BLOCK, must be {@code null} otherwise). Default: 256, BLOCK, 50 ms.
         */
        public Builder<T> queues(int capacity, OverflowPolicy policy, Duration blockTimeout) {
            if (capacity <= 0) {
                throw new IllegalArgumentException("capacity must be > 0: " + capacity);
            }
            Objects.requireNonNull(policy, "policy");
            if ((policy == OverflowPolicy.BLOCK) != (blockTimeout != null)) {
                throw new IllegalArgumentException("a blockTimeout is required for BLOCK and only for BLOCK");
            }
            if (blockTimeout != null && blockTimeout.isNegative()) {
                throw new IllegalArgumentException("blockTimeout must be >= 0: " + blockTimeout);
            }
            this.capacity = capacity;
            this.policy = policy;
            this.blockTimeout = blockTimeout;
            return this;
        }

        /** Worker thread name prefix (default {@code backbeat-pipeline}). */
        public Builder<T> threadNamePrefix(String prefix) {
            Objects.requireNonNull(prefix, "prefix");
            if (prefix.isBlank()) {
                throw new IllegalArgumentException("prefix must not be blank");
            }
            this.threadNamePrefix = prefix;
            return this;
        }

        /** Receives what the last stage returns (on the last stage's thread; its return value is ignored). */
        public Builder<T> onComplete(StageHandler<T> completion) {
            this.completion = Objects.requireNonNull(completion, "completion");
            return this;
        }

        /** Receives items whose handler threw (default: log at WARN). */
        public Builder<T> onFailure(ItemListener<? super T> listener) {
            this.failureListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Receives items dropped by a queue policy, refused by the next stage, or left at shutdown. */
        public Builder<T> onDrop(ItemListener<? super T> listener) {
            this.dropListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Clock for stage timing statistics (default {@code System::nanoTime}). */
        public Builder<T> nanoClock(LongSupplier clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How long {@link #close()} lets queued items drain (default 5 s). */
        public Builder<T> drainTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("drainTimeout must be >= 0: " + timeout);
            }
            this.drainTimeout = timeout;
            return this;
        }

        /**
         * Builds the pipeline and starts its worker threads.
         *
         * @throws IllegalStateException without any stage
         */
        public PipelinedProcessor<T> build() {
            if (handlers.isEmpty()) {
                throw new IllegalStateException("a pipeline needs at least one stage");
            }
            PipelinedProcessor<T> p = new PipelinedProcessor<>(this);
            p.start();
            return p;
        }
    }
}
