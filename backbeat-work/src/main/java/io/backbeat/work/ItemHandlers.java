package io.backbeat.work;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the items an {@link AdaptiveBatcher} did not process to the caller's handlers, on the phase
 * thread: the ones an essential-only run skipped to the skip handler (none: discarded), the ones
 * whose processing threw to the failure handler. A handler that throws is logged at WARN (under the
 * batcher's logger) and the run goes on.
 *
 * @param <T> item type
 */
final class ItemHandlers<T> {

    private static final Logger LOG = LoggerFactory.getLogger(AdaptiveBatcher.class);

    private final Consumer<? super T> skipHandler;
    private final BiConsumer<? super T, ? super Exception> failureHandler;

    /** @param skipHandler the skip handler, or {@code null} to discard skipped items */
    ItemHandlers(Consumer<? super T> skipHandler, BiConsumer<? super T, ? super Exception> failureHandler) {
        this.skipHandler = skipHandler;
        this.failureHandler = failureHandler;
    }

    /** Gives an item an essential-only run did not process to the skip handler. */
    void skip(T item) {
        if (skipHandler == null) {
            return;
        }
        try {
            skipHandler.accept(item);
        } catch (RuntimeException e) {
            LOG.warn("skip handler failed; item discarded", e);
        }
    }

    /** Gives an item whose processing threw {@code e} to the failure handler. */
    void fail(T item, Exception e) {
        try {
            failureHandler.accept(item, e);
        } catch (RuntimeException handlerFailure) {
            LOG.warn("failure handler failed", handlerFailure);
        }
    }
}
