package io.backbeat.work;

/**
 * Processes one work item for an {@link AdaptiveBatcher}. May throw: the batcher counts the failure,
 * hands the item to its failure handler and carries on with the next item. An
 * {@link InterruptedException} ends the phase (the interrupt status is restored).
 *
 * @param <T> item type
 */
@FunctionalInterface
public interface ItemProcessor<T> {
    /** Processes {@code item}. */
    void process(T item) throws Exception;
}
