package io.backbeat.testkit;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;

/**
 * Who holds the lock a thread is blocked or waiting on, as the JVM's thread bean tells it. A
 * {@link VirtualClock} asks about a thread busy for a while: one that waits for a lock held by the
 * advancing thread or by a sleeper cannot run before time moves on.
 */
final class LockOwners {
    /** The JVM's thread bean, loaded on first need (it takes a while). */
    private static final class Jvm {
        static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    }

    private LockOwners() {
    }

    /**
     * The id of the thread holding the lock {@code t} is blocked or waiting on; -1 when {@code t} is
     * not blocked or waiting, waits on no held lock, or wants the lock of {@code monitor} (then it
     * runs as soon as the holder of {@code monitor} waits on it).
     */
    static long ownerOf(Thread t, Object monitor) {
        Thread.State st = t.getState();
        if (st != Thread.State.BLOCKED && st != Thread.State.WAITING && st != Thread.State.TIMED_WAITING) {
            return -1;
        }
        ThreadInfo info = Jvm.THREADS.getThreadInfo(t.getId());
        if (info == null) {
            return -1;
        }
        LockInfo lock = info.getLockInfo();
        long owner = info.getLockOwnerId();
        if (lock == null || owner < 0) {
            return -1;
        }
        if (lock.getIdentityHashCode() == System.identityHashCode(monitor)
                && lock.getClassName().equals(monitor.getClass().getName())) {
            return -1;
        }
        return owner;
    }
}
