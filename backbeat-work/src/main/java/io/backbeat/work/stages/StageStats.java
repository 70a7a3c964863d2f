package io.backbeat.work.stages;

import io.backbeat.work.QueueStats;
import java.time.Duration;

/**
 * Statistics of one {@link PipelinedProcessor} stage.
 *
 * @param phase          the stage's phase name
 * @param processed      items whose handler returned normally
 * @param failed         items whose handler threw (dropped, given to the failure handler)
 * @param filtered       items whose handler returned {@code null} (ended on purpose)
 * @param forwardRefused items the next stage's queue refused (given to the drop handler)
 * @param busy           total time spent in the handler
 * @param maxProcessing  longest single handler call
 * @param queue          the stage's input queue
 */
public record StageStats(String phase, long processed, long failed, long filtered, long forwardRefused,
                         Duration busy, Duration maxProcessing, QueueStats queue) {

    /** Mean handler time per item ({@link Duration#ZERO} before the first). */
    public Duration meanProcessing() {
        long n = processed + failed + filtered;
        return n == 0 ? Duration.ZERO : busy.dividedBy(n);
    }
}
