package io.backbeat.testkit;

import io.backbeat.api.BeatClock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Virtual time for deterministic tests: wall and monotonic clocks that move only when the test
 * calls {@link #advance}. Threads that sleep on it ({@link #sleepUntil}, as the client's grid
 * thread does) are woken in time order, and {@code advance} waits until every woken thread has
 * gone back to sleep before moving on, so an hour of beats runs in milliseconds with the same
 * result every time. Scheduled actions ({@link #schedule}) run on the advancing thread at their
 * instant. Every thread that reads the clock (other than one that advances it) takes part: advance
 * waits for it to sleep on the clock again or end. Thread-safe.
 */
public final class VirtualClock implements BeatClock {
    private static final long SETTLE_TIMEOUT_NANOS = 10_000_000_000L;

    private record Action(long at, long seq, Runnable task) {
    }

    private final long epochBase;
    private long now; // monotonic nanoseconds since creation
    private long wakeHorizon; // sleepers wake once this reaches their deadline: after the instant's actions ran
    private long seq;
    private final Map<Thread, Long> sleepers = new HashMap<>();
    private final java.util.Set<Thread> participants = new java.util.HashSet<>();
    private final java.util.Set<Thread> advancers = new java.util.HashSet<>();
    private final PriorityQueue<Action> actions = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));

    private VirtualClock(long epochBase) {
        this.epochBase = epochBase;
    }

    /** A clock whose wall time starts at {@code start}. */
    public static VirtualClock startingAt(Instant start) {
        return new VirtualClock(io.backbeat.api.EpochNanos.of(start));
    }

    @Override
    public synchronized long epochNanos() {
        join();
        return epochBase + now;
    }

    @Override
    public synchronized long nanoTime() {
        join();
        return now;
    }

    /** A thread that reads this clock takes part in time: advance waits for it to sleep again. */
    private void join() {
        Thread t = Thread.currentThread();
        if (!advancers.contains(t)) {
            participants.add(t);
        }
    }

    @Override
    public void sleepUntil(long deadline) throws InterruptedException {
        Thread me = Thread.currentThread();
        synchronized (this) {
            sleepers.put(me, deadline);
            participants.add(me);
            notifyAll();
            try {
                while (wakeHorizon < deadline) {
                    wait();
                }
            } finally {
                sleepers.remove(me);
                notifyAll();
            }
        }
    }

    /** Runs {@code task} on the advancing thread when the monotonic clock reaches {@code nanoTime}. */
    public synchronized void schedule(long nanoTime, Runnable task) {
        actions.add(new Action(nanoTime, seq++, task));
    }

    /** Runs {@code task} when the wall clock reaches {@code epochNanos}. */
    public synchronized void scheduleAtEpoch(long epochNanos, Runnable task) {
        schedule(epochNanos - epochBase, task);
    }

    /** Moves time forward by {@code d}, step by step through every wake-up and scheduled action. */
    public void advance(Duration d) {
        long target;
        synchronized (this) {
            Thread me = Thread.currentThread();
            advancers.add(me);
            participants.remove(me);
            target = now + d.toNanos();
        }
        settle(); // threads that read the clock before this call first go to sleep
        while (true) {
            List<Runnable> due = new ArrayList<>();
            synchronized (this) {
                long next = target;
                for (long dl : sleepers.values()) {
                    if (dl > now && dl < next) {
                        next = dl;
                    }
                }
                if (!actions.isEmpty() && actions.peek().at < next) {
                    next = Math.max(now, actions.peek().at);
                }
                now = Math.max(now, next);
                while (!actions.isEmpty() && actions.peek().at <= now) {
                    due.add(actions.poll().task);
                }
            }
            for (Runnable r : due) {
                r.run(); // an instant's actions (e.g. the pulse's frame) come before the sleepers due then
            }
            synchronized (this) {
                wakeHorizon = now;
                notifyAll();
            }
            settle();
            synchronized (this) {
                boolean pending = !actions.isEmpty() && actions.peek().at <= target;
                if (now >= target && !pending) {
                    return;
                }
            }
        }
    }

    /**
     * Waits (in real time) until every thread that ever slept on this clock is either asleep again
     * with a deadline in the future, or has ended.
     */
    private void settle() {
        long limit = System.nanoTime() + SETTLE_TIMEOUT_NANOS;
        synchronized (this) {
            while (true) {
                Thread busy = null;
                participants.removeIf(t -> !t.isAlive());
                for (Thread t : participants) {
                    Long dl = sleepers.get(t);
                    if (dl == null || dl <= wakeHorizon) {
                        busy = t;
                        break;
                    }
                }
                if (busy == null) {
                    return;
                }
                long left = limit - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("thread " + busy.getName() + " did not go back to sleep within"
                            + " 10 s (real time) at virtual time " + Duration.ofNanos(now));
                }
                try {
                    wait(Math.max(1, Math.min(50, left / 1_000_000)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
