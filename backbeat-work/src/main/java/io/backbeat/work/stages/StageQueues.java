package io.backbeat.work.stages;

import io.backbeat.work.BoundedWorkQueue;
import io.backbeat.work.OverflowPolicy;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a {@link PipelinedProcessor} makes every stage's input queue: capacity, overflow policy and
 * the block timeout (required for BLOCK, {@code null} otherwise).
 */
record StageQueues(int capacity, OverflowPolicy policy, Duration blockTimeout) {

    private static final Logger LOG = LoggerFactory.getLogger(PipelinedProcessor.class);

    /** 256 items, BLOCK, 50 ms. */
    static final StageQueues DEFAULT = new StageQueues(256, OverflowPolicy.BLOCK, Duration.ofMillis(50));

    StageQueues {
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
    }

    /**
     * The input queue of stage {@code phase}, named {@code name} and timed by {@code clock}. Items
     * its policy drops go to {@code dropListener} (none when {@code null}); a listener that throws
     * is logged.
     */
    <T> BoundedWorkQueue<Stage.Job<T>> create(String name, String phase, LongSupplier clock,
                                              PipelinedProcessor.ItemListener<? super T> dropListener) {
        BoundedWorkQueue.Builder<Stage.Job<T>> qb = BoundedWorkQueue.<Stage.Job<T>>builder(capacity, policy)
                .name(name)
                .nanoClock(clock);
        if (policy == OverflowPolicy.BLOCK) {
            qb.blockTimeout(blockTimeout);
        }
        qb.onDrop((job, why) -> {
            if (dropListener != null) {
                try {
                    dropListener.on(phase, job.beatIndex(), job.payload(), null);
                } catch (RuntimeException ex) {
                    LOG.warn("pipeline drop listener failed in stage {}", phase, ex);
                }
            }
        });
        return qb.build();
    }
}
