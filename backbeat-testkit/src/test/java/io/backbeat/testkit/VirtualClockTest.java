package io.backbeat.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** Virtual time with work that takes time: sleeps, the clock's executor, waits for work, nested advances. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class VirtualClockTest {
    private static final long MS = 1_000_000L;

    private final VirtualClock clock = VirtualClock.startingAt(Instant.parse("2030-01-01T00:00:00Z"));

    @Test
    void aTaskSleepsOnVirtualTimeAndAdvanceReleasesIt() {
        AtomicLong wokeAt = new AtomicLong(-1);
        clock.executor().execute(() -> {
            try {
                clock.sleep(Duration.ofMillis(300));
                wokeAt.set(clock.nanoTime());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        clock.advance(Duration.ofMillis(299));
        assertThat(wokeAt.get()).as("still asleep").isEqualTo(-1);
        clock.advance(Duration.ofMillis(1));
        assertThat(wokeAt.get()).as("woke when advance reached it, before advance returned").isEqualTo(300 * MS);
    }

    @Test
    void advanceReturnsOnlyOnceTheTasksHandedOverHaveRun() {
        List<Long> ran = new CopyOnWriteArrayList<>();
        for (int i = 1; i <= 5; i++) {
            long at = i * 100 * MS;
            clock.schedule(at, () -> clock.executor().execute(() -> ran.add(clock.nanoTime())));
        }
        clock.advance(Duration.ofMillis(500));
        assertThat(ran).containsExactly(100 * MS, 200 * MS, 300 * MS, 400 * MS, 500 * MS);
    }

    @Test
    void advanceFromATaskWhileTheTestAdvancesIsThatTasksOwnTime() {
        List<String> events = new CopyOnWriteArrayList<>();
        clock.schedule(100 * MS, () -> clock.executor().execute(() -> {
            events.add("work from " + clock.nanoTime() / MS);
            clock.advance(Duration.ofMillis(250)); // the work takes 250 ms
            events.add("work done " + clock.nanoTime() / MS);
        }));
        clock.schedule(200 * MS, () -> events.add("other at " + clock.nanoTime() / MS));
        clock.advance(Duration.ofSeconds(1));
        assertThat(events).containsExactly("work from 100", "other at 200", "work done 350");
        assertThat(clock.nanoTime()).isEqualTo(1000 * MS);
    }

    @Test
    void sleepingOnTheAdvancingThreadAdvancesFromThere() {
        List<String> events = new CopyOnWriteArrayList<>();
        clock.schedule(100 * MS, () -> {
            try {
                clock.sleep(Duration.ofMillis(300)); // an action (or an inline callback) cannot wait: time moves
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            events.add("action done " + clock.nanoTime() / MS);
        });
        clock.schedule(200 * MS, () -> events.add("inner at " + clock.nanoTime() / MS));
        clock.advance(Duration.ofSeconds(1));
        assertThat(events).containsExactly("inner at 200", "action done 400");
        assertThat(clock.nanoTime()).isEqualTo(1000 * MS);
    }

    @Test
    void theTestThreadSleepingWhileNobodyAdvancesIsAnAdvance() throws InterruptedException {
        clock.advance(Duration.ZERO); // this thread drives the clock
        clock.sleep(Duration.ofMinutes(5));
        assertThat(clock.nanoTime()).isEqualTo(Duration.ofMinutes(5).toNanos());
    }

    @Test
    void awaitDoneFollowsWorkOnTheExecutorAndAnHourTakesNoRealTime() {
        AtomicReference<String> outcome = new AtomicReference<>();
        long real = System.nanoTime();
        clock.executor().execute(() -> {
            FutureTask<String> work = new FutureTask<>(() -> {
                clock.sleep(Duration.ofMinutes(59));
                return "done";
            });
            clock.executor().execute(work);
            try {
                boolean done = clock.awaitDone(work, clock.nanoTime() + Duration.ofHours(1).toNanos());
                outcome.set(done + " at " + Duration.ofNanos(clock.nanoTime()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        clock.advance(Duration.ofHours(2));
        assertThat(outcome.get()).isEqualTo("true at PT59M");
        assertThat((System.nanoTime() - real) / MS).as("real ms").isLessThan(1_000);
    }

    @Test
    void awaitDoneGivesUpAtTheDeadlineAndWorkEndingExactlyThenIsInTime() {
        List<String> outcomes = new CopyOnWriteArrayList<>();
        for (long workMin : new long[] {61, 60}) {
            clock.executor().execute(() -> {
                FutureTask<String> work = new FutureTask<>(() -> {
                    clock.sleep(Duration.ofMinutes(workMin));
                    return "done";
                });
                clock.executor().execute(work);
                try {
                    boolean done = clock.awaitDone(work, clock.nanoTime() + Duration.ofHours(1).toNanos());
                    outcomes.add(workMin + " min: " + done + " at " + Duration.ofNanos(clock.nanoTime()));
                    work.cancel(true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        clock.advance(Duration.ofHours(3));
        assertThat(outcomes).containsExactlyInAnyOrder("61 min: false at PT1H", "60 min: true at PT1H");
    }

    @Test
    void awaitDoneOnTheAdvancingThreadAdvancesUntilTheWorkIsDone() throws InterruptedException {
        clock.advance(Duration.ZERO);
        FutureTask<String> work = new FutureTask<>(() -> {
            clock.sleep(Duration.ofMillis(700));
            return "done";
        });
        clock.executor().execute(work);
        assertThat(clock.awaitDone(work, clock.nanoTime() + Duration.ofSeconds(5).toNanos())).isTrue();
        assertThat(clock.nanoTime()).isEqualTo(700 * MS);
        CompletableFuture<String> never = new CompletableFuture<>();
        assertThat(clock.awaitDone(never, clock.nanoTime() + 300 * MS)).isFalse();
        assertThat(clock.nanoTime()).isEqualTo(1000 * MS);
    }

    @Test
    void anInterruptedSleepThrowsAndAnInterruptedAdvanceAsSleepCancels() {
        List<String> events = new CopyOnWriteArrayList<>();
        AtomicReference<Thread> sleeper = new AtomicReference<>();
        AtomicReference<Thread> advancer = new AtomicReference<>();
        clock.schedule(0, () -> { // handed over while the test advances
            clock.executor().execute(() -> {
                sleeper.set(Thread.currentThread());
                try {
                    clock.sleep(Duration.ofHours(1));
                    events.add("slept");
                } catch (InterruptedException e) {
                    events.add("sleep interrupted at " + clock.nanoTime() / MS);
                }
            });
            clock.executor().execute(() -> {
                advancer.set(Thread.currentThread());
                try {
                    clock.advance(Duration.ofHours(1));
                    events.add("advanced");
                } catch (CancellationException e) {
                    events.add("advance cancelled at " + clock.nanoTime() / MS + ", interrupted "
                            + Thread.currentThread().isInterrupted());
                }
            });
        });
        clock.schedule(100 * MS, () -> {
            sleeper.get().interrupt();
            advancer.get().interrupt();
        });
        clock.advance(Duration.ofSeconds(1));
        assertThat(events).containsExactlyInAnyOrder("sleep interrupted at 100",
                "advance cancelled at 100, interrupted true");
    }

    @Test
    void aThreadBlockedOnALockHeldByASleeperDoesNotHoldUpTime() {
        Object lock = new Object();
        List<String> events = new CopyOnWriteArrayList<>();
        clock.executor().execute(() -> {
            synchronized (lock) {
                try {
                    clock.sleep(Duration.ofMillis(500)); // holds the lock for 500 ms of virtual time
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        clock.schedule(100 * MS, () -> clock.executor().execute(() -> {
            synchronized (lock) {
                events.add("got the lock at " + clock.nanoTime() / MS);
            }
        }));
        long real = System.nanoTime();
        clock.advance(Duration.ofSeconds(1));
        assertThat(events).containsExactly("got the lock at 500");
        assertThat((System.nanoTime() - real) / MS).as("real ms").isLessThan(5_000);
    }
}
