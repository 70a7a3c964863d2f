package io.backbeat.work.stages;

import java.time.Duration;

/**
 * USE metrics of one stage since the pipeline started.
 *
 * @param name          the stage
 * @param kind          red (IO) or blue (CPU); {@code null} for a stage added without a kind
 * @param workers       worker threads
 * @param processed     items handled (forwarded or filtered)
 * @param errors        items whose handler threw
 * @param utilization   busy time / (elapsed × workers), 0..1
 * @param queueDepth    items waiting in the stage's input queue now (saturation)
 * @param queueCapacity the input queue's capacity
 * @param meanWait      mean time an item waited in the input queue (saturation)
 * @param refused       items the stage could not hand on (its output queue stayed full)
 */
public record StageSnapshot(String name, StageKind kind, int workers, long processed, long errors, double utilization,
                            int queueDepth, int queueCapacity, Duration meanWait, long refused) {

    /** Input queue fill, 0..1. */
    public double saturation() {
        return queueCapacity == 0 ? 0 : queueDepth / (double) queueCapacity;
    }
}
