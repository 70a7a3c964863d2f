package io.backbeat.work;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * Orders work by priority (higher first), then by deadline (earlier first), and plans how much of it
 * fits in a time budget.
 *
 * <p>Deadlines are {@code System.nanoTime} values and are compared overflow-safely
 * ({@code a - b < 0}), so they must lie within about 292 years of each other.
 *
 * <p>Immutable and thread-safe if the key functions are; the comparator is consistent with a total
 * order on (priority, deadline) and stable sorts keep arrival order among equal keys.
 *
 * @param <T> item type
 */
public final class WorkPrioritizer<T> implements Comparator<T> {

    /** Work that knows its own priority and deadline. */
    public interface Prioritized {
        /** Higher runs first. */
        int priority();

        /** A {@code System.nanoTime} deadline; earlier runs first among equal priorities. */
        long deadlineNanos();
    }

    /**
     * A plan: what to run now, in order, and what has to wait.
     *
     * @param selected items to run, highest priority / earliest deadline first
     * @param deferred items that do not fit, in the same order
     * @param <T>      item type
     */
    public record Plan<T>(List<T> selected, List<T> deferred) {
        /** Copies the lists. */
        public Plan {
            selected = List.copyOf(selected);
            deferred = List.copyOf(deferred);
        }
    }

    private final ToIntFunction<? super T> priority;
    private final ToLongFunction<? super T> deadline;

    private WorkPrioritizer(ToIntFunction<? super T> priority, ToLongFunction<? super T> deadline) {
        this.priority = Objects.requireNonNull(priority, "priority");
        this.deadline = Objects.requireNonNull(deadline, "deadline");
    }

    /** Orders by {@code priority} (higher first), then {@code deadlineNanos} (earlier first). */
    public static <T> WorkPrioritizer<T> by(ToIntFunction<? super T> priority, ToLongFunction<? super T> deadlineNanos) {
        return new WorkPrioritizer<>(priority, deadlineNanos);
    }

    /** Orders {@link Prioritized} work. */
    public static <T extends Prioritized> WorkPrioritizer<T> natural() {
        return new WorkPrioritizer<>(Prioritized::priority, Prioritized::deadlineNanos);
    }

    @Override
    public int compare(T a, T b) {
        int c = Integer.compare(priority.applyAsInt(b), priority.applyAsInt(a));
        if (c != 0) {
            return c;
        }
        long d = deadline.applyAsLong(a) - deadline.applyAsLong(b);
        return d < 0 ? -1 : (d > 0 ? 1 : 0);
    }

    /** A new list with {@code work} in priority order (stable). */
    public List<T> sorted(Collection<? extends T> work) {
        List<T> list = new ArrayList<>(work);
        list.sort(this);
        return list;
    }

    /**
     * Sorts {@code work} and selects the prefix that fits {@code budgetNanos} at {@code costPerItemNanos}
     * each: {@code floor(budget / cost)} items (all of them when the cost is 0; none when the budget is
     * not positive).
     */
    public Plan<T> plan(Collection<? extends T> work, long budgetNanos, long costPerItemNanos) {
        if (costPerItemNanos < 0) {
            throw new IllegalArgumentException("costPerItemNanos must be >= 0: " + costPerItemNanos);
        }
        List<T> list = sorted(work);
        int fit;
        if (budgetNanos <= 0) {
            fit = 0;
        } else if (costPerItemNanos == 0) {
            fit = list.size();
        } else {
            fit = (int) Math.min(list.size(), budgetNanos / costPerItemNanos);
        }
        return new Plan<>(list.subList(0, fit), list.subList(fit, list.size()));
    }
}
