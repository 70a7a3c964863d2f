package io.backbeat.work.stages;

import io.backbeat.work.BoundedWorkQueue;
import io.backbeat.work.CheckReturnValue;
import io.backbeat.work.OfferResult;
import io.backbeat.work.OverflowPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stages with their own worker threads, joined by {@link BoundedWorkQueue}s: a beat's item moves
 * plan &rarr; execute &rarr; review while the next beat's item is already being planned. For high
 * tempos, where doing a whole beat's work inside one phase callback would not fit, and for staged
 * services ("reds and blues": stages marked IO-bound or CPU-bound, see {@link StageKind}) whose
 * bottleneck {@link #snapshot()} names.
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
 * there (counted as filtered). A stage has one worker unless built with more
 * ({@link Builder#stage(String, StageKind, int, StageHandler)}); a batch stage
 * ({@link Builder#stageBatch}) takes up to {@code maxBatch} queued items at once (bulk writes).
 * Items submitted at the first stage leave every single-worker stage in submission order (one
 * worker, FIFO queues); several workers or batches trade that order for throughput.
 *
 * <p><b>Threading.</b> {@link Builder#build() Building} starts the daemon worker threads, named
 * {@code <threadNamePrefix>-<phase>} (with {@code -<i>} appended when a stage has several).
 * {@code submit}, {@code stats} and {@code snapshot} are thread-safe. Submission follows the queues'
 * {@link OverflowPolicy}; prefer a non-blocking policy when submitting from a beat callback.
 *
 * <p><b>Failure behaviour.</b> A handler that throws drops that item (every item of the batch for a
 * batch stage; counted, given to the failure handler; default: logged at WARN); the worker keeps
 * going. An item the next stage's queue refuses is counted in {@link StageStats#forwardRefused()}
 * and given to the drop handler.
 *
 * <p><b>Shutdown.</b> {@link #close()} = {@link #shutdown(Duration) shutdown(drainTimeout)}
 * ({@link Builder#drainTimeout}, default 5 s): no new submissions, queued items flow through every
 * stage, then the workers end; after the timeout the workers are interrupted and whatever is still
 * queued is handed to the drop handler. What the shutdown could not finish is logged at WARN and
 * counted ({@link #unfinishedAtShutdown()}). A drain timeout of zero stops at once.
 *
 * @param <T> payload type
 */
public final class PipelinedProcessor<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PipelinedProcessor.class);

    /**
     * One stage's work on one item.
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
     * One batch stage's work on up to {@code maxBatch} items at once.
     *
     * @param <T> payload type
     */
    @FunctionalInterface
    public interface BatchHandler<T> {
        /**
         * Processes {@code batch} (oldest first, unmodifiable).
         *
         * @return the payloads for the next stage (they carry the beat index of the batch's last
         *         item), empty or {@code null} to end them all here
         */
        List<T> handle(List<T> batch) throws Exception;
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

    private final List<Stage<T>> stages;
    private final Map<String, Stage<T>> byPhase;
    private final LongSupplier clock;
    private final Duration drainTimeout;
    private final long startedNanos;
    private final PipelineShutdown<T> shutdown;

    private PipelinedProcessor(Builder<T> b) {
        this.clock = b.clock;
        this.drainTimeout = b.drainTimeout;
        this.startedNanos = b.clock.getAsLong();
        Stage.Shared<T> shared = new Stage.Shared<>(b.clock, b.completion, b.failureListener, b.dropListener);
        List<Stage<T>> list = new ArrayList<>();
        Map<String, Stage<T>> map = new LinkedHashMap<>();
        for (StageSpec<T> spec : b.specs.values()) {
            String name = b.threadNamePrefix + "-" + spec.phase;
            Stage<T> s = new Stage<>(spec.phase, spec.kind, spec.workers, spec.maxBatch, spec.itemHandler,
                    spec.batchHandler, b.queues.create(name, spec.phase, b.clock, b.dropListener), name, shared);
            if (!list.isEmpty()) {
                list.get(list.size() - 1).linkTo(s);
            }
            list.add(s);
            map.put(spec.phase, s);
        }
        this.stages = Collections.unmodifiableList(list);
        this.byPhase = Collections.unmodifiableMap(map);
        this.shutdown = new PipelineShutdown<>(stages, b.dropListener);
    }

    /** Starts a builder. */
    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    private void start() {
        for (Stage<T> s : stages) {
            s.start();
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
        Stage<T> s = byPhase.get(Objects.requireNonNull(phase, "phase"));
        if (s == null) {
            throw new IllegalArgumentException("no stage '" + phase + "'; stages are " + byPhase.keySet());
        }
        return submitTo(s, beatIndex, payload);
    }

    private OfferResult submitTo(Stage<T> s, long beatIndex, T payload) {
        Objects.requireNonNull(payload, "payload");
        if (shutdown.begun()) {
            return OfferResult.CLOSED;
        }
        return s.queue.offer(new Stage.Job<>(beatIndex, payload));
    }

    /** Stage names in pipeline order. */
    public List<String> phases() {
        return List.copyOf(byPhase.keySet());
    }

    /** Per-stage statistics in pipeline order. Any thread. */
    public List<StageStats> stats() {
        List<StageStats> out = new ArrayList<>(stages.size());
        for (Stage<T> s : stages) {
            out.add(s.stats());
        }
        return out;
    }

    /**
     * Every stage's utilization (busy time per worker since the pipeline started), saturation (its
     * input queue's depth and mean wait) and errors, and the likeliest bottleneck. Any thread.
     */
    public PipelineSnapshot snapshot() {
        long elapsed = clock.getAsLong() - startedNanos;
        List<StageSnapshot> out = new ArrayList<>(stages.size());
        for (Stage<T> s : stages) {
            out.add(s.snapshot(elapsed));
        }
        return PipelineSnapshot.of(out);
    }

    /**
     * Stops accepting work and lets queued items flow through, waiting at most {@code timeout};
     * then interrupts the workers and hands whatever is still queued to the drop handler.
     * Idempotent: later calls return the first outcome.
     *
     * @return {@code true} when every queued item went through before the timeout
     */
    public boolean shutdown(Duration timeout) {
        return shutdown.run(Objects.requireNonNull(timeout, "timeout"));
    }

    /**
     * Items the last {@link #shutdown(Duration) shutdown} (or {@link #close()}) could not finish
     * before its timeout: queued items handed to the drop handler, items whose handler the interrupt
     * cut short (failure handler) and items a stopped stage refused (drop handler). 0 when every item
     * drained, or before a shutdown. Any thread.
     */
    public long unfinishedAtShutdown() {
        return shutdown.unfinished();
    }

    /**
     * {@code shutdown(drainTimeout)}: queued items drain through every stage for up to the drain
     * timeout; what is left after it is handed to the drop handler and counted in
     * {@link #unfinishedAtShutdown()}.
     */
    @Override
    public void close() {
        shutdown(drainTimeout);
    }

    /** A stage as configured. */
    private record StageSpec<T>(String phase, StageKind kind, int workers, int maxBatch, StageHandler<T> itemHandler,
                                BatchHandler<T> batchHandler) {
    }

    /**
     * Builder for {@link PipelinedProcessor}. Not thread-safe.
     *
     * @param <T> payload type
     */
    public static final class Builder<T> {
        private final LinkedHashMap<String, StageSpec<T>> specs = new LinkedHashMap<>();
        private StageQueues queues = StageQueues.DEFAULT;
        private String threadNamePrefix = "backbeat-pipeline";
        private StageHandler<T> completion;
        private ItemListener<? super T> failureListener =
                (phase, beat, payload, e) -> LOG.warn("stage {} failed for beat {}", phase, beat, e);
        private ItemListener<? super T> dropListener;
        private LongSupplier clock = System::nanoTime;
        private Duration drainTimeout = Duration.ofSeconds(5);

        private Builder() {
        }

        /** Adds a stage with one worker; stages run in the order added. Phase names must be unique. */
        public Builder<T> stage(String phase, StageHandler<T> handler) {
            return add(phase, null, 1, 1, Objects.requireNonNull(handler, "handler"), null);
        }

        /** Adds a stage of {@code kind} with {@code workers} worker threads. */
        public Builder<T> stage(String phase, StageKind kind, int workers, StageHandler<T> handler) {
            return add(phase, Objects.requireNonNull(kind, "kind"), workers, 1,
                    Objects.requireNonNull(handler, "handler"), null);
        }

        /** Adds a stage whose workers take up to {@code maxBatch} queued items at once (bulk drain). */
        public Builder<T> stageBatch(String phase, StageKind kind, int workers, int maxBatch, BatchHandler<T> handler) {
            return add(phase, Objects.requireNonNull(kind, "kind"), workers, maxBatch, null,
                    Objects.requireNonNull(handler, "handler"));
        }

        private Builder<T> add(String phase, StageKind kind, int workers, int maxBatch, StageHandler<T> item,
                               BatchHandler<T> batch) {
            Objects.requireNonNull(phase, "phase");
            if (phase.isBlank()) {
                throw new IllegalArgumentException("phase must not be blank");
            }
            if (workers < 1 || maxBatch < 1) {
                throw new IllegalArgumentException("workers and batch must be >= 1");
            }
            if (specs.putIfAbsent(phase, new StageSpec<>(phase, kind, workers, maxBatch, item, batch)) != null) {
                throw new IllegalArgumentException("duplicate stage '" + phase + "'");
            }
            return this;
        }

        /**
         * Every stage's input queue: capacity, overflow policy, and the block timeout (required for
         * BLOCK, must be {@code null} otherwise). Default: 256, BLOCK, 50 ms.
         */
        public Builder<T> queues(int capacity, OverflowPolicy policy, Duration blockTimeout) {
            this.queues = new StageQueues(capacity, policy, blockTimeout);
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

        /**
         * How long {@link #close()} lets queued items drain through every stage (default 5 s; zero
         * stops at once); see {@link PipelinedProcessor#unfinishedAtShutdown()}.
         */
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
            if (specs.isEmpty()) {
                throw new IllegalStateException("a pipeline needs at least one stage");
            }
            PipelinedProcessor<T> p = new PipelinedProcessor<>(this);
            p.start();
            return p;
        }
    }
}
