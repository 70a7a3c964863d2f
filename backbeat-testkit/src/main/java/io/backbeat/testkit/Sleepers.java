package io.backbeat.testkit;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Future;

/**
 * The threads asleep on a {@link VirtualClock}, and how far the clock has let them wake: a sleeper
 * wakes once the wake horizon reaches its deadline (after the instant's scheduled actions ran), an
 * awaiter (a thread waiting for work to be done) once the await horizon does (after the instant's
 * sleepers ran) or its work is done. Guarded by the clock's lock, the monitor the sleepers wait on.
 */
final class Sleepers {

    /** A thread asleep until {@code deadline}, or (an awaiter) until {@code until} is done. */
    private record Sleeper(long deadline, Future<?> until) {
    }

    private final Object clock; // the clock's lock
    private final Map<Thread, Sleeper> sleepers = new HashMap<>();
    private long wakeHorizon;
    private long awaitHorizon;

    /** @param clock the clock's lock */
    Sleepers(Object clock) {
        this.clock = clock;
    }

    /**
     * {@code me} sleeps until {@code deadline}, or (an awaiter, {@code until} not {@code null}) until
     * {@code until} is done. Work the clock {@code followed} notifies the clock when it ends; other
     * work is looked at every millisecond of real time. Holds the clock's lock.
     */
    void sleep(Thread me, long deadline, Future<?> until, boolean followed) throws InterruptedException {
        sleepers.put(me, new Sleeper(deadline, until));
        clock.notifyAll();
        try {
            if (until == null) {
                while (wakeHorizon < deadline) {
                    clock.wait();
                }
            } else {
                while (awaitHorizon < deadline && !until.isDone()) {
                    if (followed) {
                        clock.wait(); // the clock's executor notifies when a task ends
                    } else {
                        clock.wait(1);
                    }
                }
            }
        } finally {
            sleepers.remove(me);
            clock.notifyAll();
        }
    }

    /** The earliest deadline of a sleeper after {@code now} and before {@code target}, else {@code target}. */
    long nextDeadline(long now, long target) {
        long next = target;
        for (Sleeper s : sleepers.values()) {
            if (s.deadline > now && s.deadline < next) {
                next = s.deadline;
            }
        }
        return next;
    }

    /** Lets the sleepers (not the awaiters) due by {@code now} wake, and notifies them. */
    void wakeUntil(long now) {
        wakeHorizon = Math.max(wakeHorizon, now);
        clock.notifyAll();
    }

    /**
     * Lets the awaiters due by {@code now} wake, and notifies them.
     *
     * @return whether an awaiter was due and not let wake yet
     */
    boolean releaseAwaitersUntil(long now) {
        boolean due = false;
        for (Sleeper s : sleepers.values()) {
            if (s.until != null && s.deadline <= now && awaitHorizon < s.deadline) {
                due = true;
            }
        }
        awaitHorizon = Math.max(awaitHorizon, now);
        clock.notifyAll();
        return due;
    }

    /** Whether {@code t} sleeps on the clock (due or not). */
    boolean contains(Thread t) {
        return sleepers.containsKey(t);
    }

    /** Whether {@code t} sleeps on the clock and stays asleep until time moves on. */
    boolean asleep(Thread t) {
        Sleeper s = sleepers.get(t);
        return s != null && asleep(t, s);
    }

    /** Whether the thread with id {@code threadId} sleeps on the clock and stays asleep until time moves on. */
    boolean asleep(long threadId) {
        for (Map.Entry<Thread, Sleeper> e : sleepers.entrySet()) {
            if (e.getKey().getId() == threadId) {
                return asleep(e.getKey(), e.getValue());
            }
        }
        return false;
    }

    private boolean asleep(Thread t, Sleeper s) {
        if (t.isInterrupted()) {
            return false; // about to wake
        }
        if (s.until == null) {
            return s.deadline > wakeHorizon;
        }
        return s.deadline > awaitHorizon && !s.until.isDone();
    }
}
