package io.backbeat.testkit;

import java.util.List;
import java.util.PriorityQueue;

/**
 * The actions scheduled on a {@link VirtualClock}, in time order and, at one instant, in the order
 * they were scheduled. Guarded by the clock's lock.
 */
final class ScheduledActions {

    private record Action(long at, long seq, Runnable task) {
    }

    private long seq;
    private final PriorityQueue<Action> actions = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));

    /** Schedules {@code task} for the monotonic instant {@code at}. */
    void add(long at, Runnable task) {
        actions.add(new Action(at, seq++, task));
    }

    /** Whether an action is due before {@code t}. */
    boolean dueBefore(long t) {
        return !actions.isEmpty() && actions.peek().at < t;
    }

    /** Whether an action is due at or before {@code t}. */
    boolean dueBy(long t) {
        return !actions.isEmpty() && actions.peek().at <= t;
    }

    /** The instant of the first action; only when there is one. */
    long firstAt() {
        return actions.peek().at;
    }

    /** Moves the actions due at or before {@code now}, in order, into {@code due}. */
    void takeDue(long now, List<Runnable> due) {
        while (dueBy(now)) {
            due.add(actions.poll().task);
        }
    }
}
