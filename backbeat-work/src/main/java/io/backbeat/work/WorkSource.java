package io.backbeat.work;

import java.util.Collection;
import java.util.Iterator;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Where an {@link AdaptiveBatcher} pulls its items from. {@link BoundedWorkQueue} is one; any
 * {@link Supplier} or {@link Iterator} can be adapted.
 *
 * @param <T> item type
 */
@FunctionalInterface
public interface WorkSource<T> {

    /**
     * Moves up to {@code max} available items into {@code sink}, without waiting.
     *
     * @return the number of items moved; 0 when no item is available now
     */
    int drainTo(Collection<? super T> sink, int max);

    /**
     * Adapts a supplier that returns {@code null} when it has no item.
     * Threading: whatever the supplier allows.
     */
    static <T> WorkSource<T> fromSupplier(Supplier<? extends T> supplier) {
        Objects.requireNonNull(supplier, "supplier");
        return (sink, max) -> {
            int n = 0;
            while (n < max) {
                T item = supplier.get();
                if (item == null) {
                    break;
                }
                sink.add(item);
                n++;
            }
            return n;
        };
    }

    /** Adapts an iterator (not thread-safe, like the iterator itself). */
    static <T> WorkSource<T> fromIterator(Iterator<? extends T> iterator) {
        Objects.requireNonNull(iterator, "iterator");
        return (sink, max) -> {
            int n = 0;
            while (n < max && iterator.hasNext()) {
                sink.add(iterator.next());
                n++;
            }
            return n;
        };
    }
}
