package io.backbeat.client.internal;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The listener pool: grows only when every worker is busy, within its maximum; extra workers retire. */
class LaneExecutorTest {

    /** Live worker threads of the pool named {@code prefix} (not its watchdog). */
    private static int workerThreads(String prefix) {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(prefix) && !t.getName().endsWith("watchdog"))
                .count();
    }

    /**
     * Issue #14: "the listener pool grew from 23 to 45 threads in 75 s for one trivial listener under CPU
     * load". One serial lane at a time (one trivial listener at a fast tempo: a phase every 2 ms) while
     * every core is busy with other work: the workers are slow to wake, not blocked, so the pool must not
     * grow at all.
     */
    @Test
    void aTrivialListenerUnderCpuLoadNeverGrowsThePool() throws Exception {
        String prefix = "lane-test-load-";
        int base = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> burners = new ArrayList<>();
        for (int i = 0; i < 3 * Runtime.getRuntime().availableProcessors(); i++) {
            Thread t = new Thread(() -> {
                long x = 0;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // bounded even if the test dies
                while (!stop.get() && System.nanoTime() < end) {
                    x += Long.numberOfTrailingZeros(x + System.nanoTime());
                }
            }, "cpu-burner-" + i);
            t.setDaemon(true);
            t.start();
            burners.add(t);
        }
        AtomicInteger ran = new AtomicInteger();
        int most = 0;
        try (LaneExecutor lanes = new LaneExecutor(prefix)) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            int offered = 0;
            while (System.nanoTime() < end) {
                if (ran.get() == offered) { // a serial lane: the next phase once the last one ran
                    lanes.execute(ran::incrementAndGet);
                    offered++;
                }
                LockSupport.parkNanos(2_000_000L);
                most = Math.max(most, workerThreads(prefix));
            }
            System.out.printf("trivial listener under CPU load: %d lanes ran, at most %d workers (base %d)%n",
                    ran.get(), most, base);
            assertThat(ran.get()).isPositive();
            assertThat(most).as("workers of a pool that never had every worker busy").isLessThanOrEqualTo(base);
        } finally {
            stop.set(true);
            for (Thread t : burners) {
                t.join();
            }
        }
    }

    /**
     * Blocked listeners take every worker: the pool adds workers up to its maximum and no further (then
     * lanes wait); once they return, the extra workers retire after the keep-alive and every lane ran.
     */
    @Test
    void blockedListenersGrowThePoolToItsMaximumOnlyAndExtraWorkersRetire() throws Exception {
        String prefix = "lane-test-max-";
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        try (LaneExecutor lanes = new LaneExecutor(2, 5, Duration.ofMillis(300), Duration.ofMillis(1), prefix)) {
            for (int i = 0; i < 8; i++) {
                lanes.execute(() -> {
                    running.incrementAndGet();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    done.incrementAndGet();
                });
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> running.get() == 5);
            Thread.sleep(300); // plenty of watchdog checks with lanes waiting and every worker blocked
            assertThat(lanes.workers()).isEqualTo(5);
            assertThat(workerThreads(prefix)).isEqualTo(5);
            assertThat(running.get()).as("lanes beyond the maximum wait").isEqualTo(5);
            release.countDown();
            await().atMost(Duration.ofSeconds(5)).until(() -> done.get() == 8);
            await().atMost(Duration.ofSeconds(5)).until(() -> lanes.workers() == 2 && workerThreads(prefix) == 2);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> workerThreads(prefix) == 0);
    }

    /** A listener blocked in every worker delays another only by about the growth threshold. */
    @Test
    void aBlockedListenerDoesNotHoldUpAnother() throws Exception {
        String prefix = "lane-test-isolation-";
        CountDownLatch release = new CountDownLatch(1);
        try (LaneExecutor lanes = new LaneExecutor(2, 8, Duration.ofSeconds(30), Duration.ofMillis(1), prefix)) {
            for (int i = 0; i < 2; i++) {
                lanes.execute(() -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> lanes.busy() == 2);
            CountDownLatch quick = new CountDownLatch(1);
            long t0 = System.nanoTime();
            lanes.execute(quick::countDown);
            assertThat(quick.await(5, TimeUnit.SECONDS)).isTrue();
            long waitedMicros = (System.nanoTime() - t0) / 1000;
            System.out.printf("a lane behind two blocked workers ran after %d us (threshold 1 ms)%n", waitedMicros);
            assertThat(lanes.workers()).isEqualTo(3);
            release.countDown();
        }
    }

    /** A listener that interrupts its own thread does not cost the pool a worker; close() ends them all. */
    @Test
    void anInterruptedLaneKeepsItsWorkerAndCloseEndsEveryWorker() throws Exception {
        String prefix = "lane-test-interrupt-";
        LaneExecutor lanes = new LaneExecutor(2, 4, Duration.ofSeconds(30), Duration.ofMillis(1), prefix);
        CountDownLatch ran = new CountDownLatch(10);
        for (int i = 0; i < 10; i++) {
            lanes.execute(() -> {
                Thread.currentThread().interrupt();
                ran.countDown();
            });
        }
        assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(100);
        assertThat(lanes.workers()).isEqualTo(2);
        assertThat(workerThreads(prefix)).isEqualTo(2);
        CountDownLatch queued = new CountDownLatch(1);
        lanes.execute(queued::countDown);
        lanes.close();
        assertThat(queued.await(5, TimeUnit.SECONDS)).as("a lane queued before close() runs").isTrue();
        assertThatThrownBy(() -> lanes.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> workerThreads(prefix) == 0
                && Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith(prefix)));
    }
}
