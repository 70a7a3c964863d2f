package io.backbeat.work;

import java.util.List;

/**
 * Processes a whole batch in one call (a bulk database write, one network round trip) for an
 * {@link AdaptiveBatcher}. If it throws, every item of the batch counts as failed and goes to the
 * failure handler. An {@link InterruptedException} ends the phase (the interrupt status is restored).
 *
 * @param <T> item type
 */
@FunctionalInterface
public interface BatchProcessor<T> {
    /** Processes {@code batch} (an unmodifiable list, valid only during the call). */
    void process(List<T> batch) throws Exception;
}
