package io.backbeat.work;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the items a {@link BoundedWorkQueue} lost to a drop policy to the queue's drop handler, on
 * the offering thread and outside the queue's lock. A handler that throws is logged (under the
 * queue's logger) and counted; the item is then discarded. Thread-safe.
 *
 * @param <T> item type
 */
final class DropNotifier<T> {

    private static final Logger LOG = LoggerFactory.getLogger(BoundedWorkQueue.class);

    private final String queueName;
    private final BiConsumer<? super T, OfferResult> handler;
    private final AtomicLong failures = new AtomicLong();

    /** @param handler the drop handler, or {@code null} for none */
    DropNotifier(String queueName, BiConsumer<? super T, OfferResult> handler) {
        this.queueName = queueName;
        this.handler = handler;
    }

    /** Gives {@code item} (nothing when {@code null}) to the handler, with the reason it was lost. */
    void notify(T item, OfferResult why) {
        if (item == null || handler == null) {
            return;
        }
        try {
            handler.accept(item, why);
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            LOG.warn("drop handler of queue '{}' failed; item discarded", queueName, e);
        }
    }

    /** How many times the handler threw. */
    long failures() {
        return failures.get();
    }
}
