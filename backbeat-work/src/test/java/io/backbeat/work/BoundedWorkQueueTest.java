package io.backbeat.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BoundedWorkQueueTest {

    private static BoundedWorkQueue<Integer> queue(int capacity, OverflowPolicy policy) {
        BoundedWorkQueue.Builder<Integer> b = BoundedWorkQueue.builder(capacity, policy);
        if (policy == OverflowPolicy.BLOCK) {
            b.blockTimeout(Duration.ofMillis(20));
        }
        return b.build();
    }

    private static void assertInvariants(QueueStats s) {
        assertThat(s.offered()).isEqualTo(s.accepted() + s.rejected() + s.timedOut() + s.droppedNewest());
        assertThat(s.accepted()).isEqualTo(s.drained() + s.droppedOldest() + s.depth());
        assertThat(s.depth()).isBetween(0, s.capacity());
    }

    @Test
    void rejectRefusesWhenFullAndCallerKeepsItem() {
        BoundedWorkQueue<Integer> q = queue(2, OverflowPolicy.REJECT);
        assertThat(q.offer(1)).isEqualTo(OfferResult.ACCEPTED);
        assertThat(q.offer(2)).isEqualTo(OfferResult.ACCEPTED);
        OfferResult r = q.offer(3);
        assertThat(r).isEqualTo(OfferResult.REJECTED);
        assertThat(r.refused()).isTrue();
        assertThat(r.accepted()).isFalse();
        QueueStats s = q.stats();
        assertThat(s.rejected()).isEqualTo(1);
        assertThat(s.depth()).isEqualTo(2);
        assertThat(q.poll()).isEqualTo(1);
        assertThat(q.poll()).isEqualTo(2);
        assertThat(q.poll()).isNull();
        assertInvariants(q.stats());
    }

    @Test
    void dropOldestEvictsHeadAndHandsItToTheDropHandler() {
        List<String> dropped = new ArrayList<>();
        BoundedWorkQueue<Integer> q = BoundedWorkQueue.<Integer>builder(2, OverflowPolicy.DROP_OLDEST)
                .onDrop((item, why) -> dropped.add(item + ":" + why)).build();
        assertThat(q.offer(1)).isEqualTo(OfferResult.ACCEPTED);
        assertThat(q.offer(2)).isEqualTo(OfferResult.ACCEPTED);
        OfferResult r = q.offer(3);
        assertThat(r).isEqualTo(OfferResult.DROPPED_OLDEST);
        assertThat(r.accepted()).isTrue();
        assertThat(dropped).containsExactly("1:DROPPED_OLDEST");
        List<Integer> out = new ArrayList<>();
        assertThat(q.drainTo(out, 10)).isEqualTo(2);
        assertThat(out).containsExactly(2, 3);
        QueueStats s = q.stats();
        assertThat(s.droppedOldest()).isEqualTo(1);
        assertThat(s.dropped()).isEqualTo(1);
        assertInvariants(s);
    }

    @Test
    void dropNewestDiscardsTheOfferedItemVisibly() {
        List<String> dropped = new ArrayList<>();
        BoundedWorkQueue<Integer> q = BoundedWorkQueue.<Integer>builder(1, OverflowPolicy.DROP_NEWEST)
                .onDrop((item, why) -> dropped.add(item + ":" + why)).build();
        assertThat(q.offer(1)).isEqualTo(OfferResult.ACCEPTED);
        assertThat(q.offer(2)).isEqualTo(OfferResult.DROPPED_NEWEST);
        assertThat(dropped).containsExactly("2:DROPPED_NEWEST");
        assertThat(q.poll()).isEqualTo(1);
        QueueStats s = q.stats();
        assertThat(s.droppedNewest()).isEqualTo(1);
        assertInvariants(s);
    }

    @Test
    void blockTimesOutWhenNobodyConsumes() {
        BoundedWorkQueue<Integer> q = BoundedWorkQueue.<Integer>builder(1, OverflowPolicy.BLOCK)
                .blockTimeout(Duration.ofMillis(50)).build();
        assertThat(q.offer(1)).isEqualTo(OfferResult.ACCEPTED);
        long t0 = System.nanoTime();
        assertThat(q.offer(2)).isEqualTo(OfferResult.TIMED_OUT);
        long waited = System.nanoTime() - t0;
        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(45).toNanos())
                .isLessThan(Duration.ofSeconds(2).toNanos());
        assertThat(q.stats().timedOut()).isEqualTo(1);
        assertInvariants(q.stats());
    }

    @Test
    @Timeout(10)
    void blockWaitsForSpaceAndSucceedsWhenAConsumerTakes() throws Exception {
        BoundedWorkQueue<Integer> q = BoundedWorkQueue.<Integer>builder(1, OverflowPolicy.BLOCK)
                .blockTimeout(Duration.ofSeconds(5)).build();
        assertThat(q.offer(1)).isEqualTo(OfferResult.ACCEPTED);
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            Future<OfferResult> f = ex.submit(() -> q.offer(2));
            Thread.sleep(50);
            assertThat(f.isDone()).isFalse();
            assertThat(q.poll()).isEqualTo(1);
            assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo(OfferResult.ACCEPTED);
            assertThat(q.poll()).isEqualTo(2);
        } finally {
            ex.shutdownNow();
        }
        assertInvariants(q.stats());
    }

    @Test
    @Timeout(10)
    void closeWakesBlockedProducersAndRefusesNewOffersButKeepsItemsDrainable() throws Exception {
        BoundedWorkQueue<Integer> q = BoundedWorkQueue.<Integer>builder(1, OverflowPolicy.BLOCK)
                .blockTimeout(Duration.ofSeconds(30)).build();
        assertThat(q.offer(1)).isEqualTo(OfferResult.ACCEPTED);
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            Future<OfferResult> f = ex.submit(() -> q.offer(2));
            Thread.sleep(50);
            q.close();
            assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo(OfferResult.CLOSED);
        } finally {
            ex.shutdownNow();
        }
        assertThat(q.offer(3)).isEqualTo(OfferResult.CLOSED);
        assertThat(q.isClosed()).isTrue();
        assertThat(q.poll(Duration.ofSeconds(5))).isEqualTo(1);
        assertThat(q.poll(Duration.ofSeconds(5))).isNull(); // closed and empty: no wait
        QueueStats s = q.stats();
        assertThat(s.rejected()).isEqualTo(2);
        assertInvariants(s);
    }

    @Test
    void interruptedBlockingOfferGivesUpAndKeepsTheInterruptFlag() {
        BoundedWorkQueue<Integer> q = BoundedWorkQueue.<Integer>builder(1, OverflowPolicy.BLOCK)
                .blockTimeout(Duration.ofSeconds(30)).build();
        assertThat(q.offer(1)).isEqualTo(OfferResult.ACCEPTED);
        Thread.currentThread().interrupt();
        try {
            assertThat(q.offer(2)).isEqualTo(OfferResult.TIMED_OUT);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void utilizationAndWaitTimesFollowTheInjectedClock() {
        AtomicLong now = new AtomicLong(1_000);
        BoundedWorkQueue<Integer> q = BoundedWorkQueue.<Integer>builder(4, OverflowPolicy.REJECT)
                .nanoClock(now::get).name("u").build();
        assertThat(q.stats().utilization()).isZero();
        assertThat(q.offer(1)).isEqualTo(OfferResult.ACCEPTED);          // at 1000
        now.addAndGet(100);
        assertThat(q.offer(2)).isEqualTo(OfferResult.ACCEPTED);          // at 1100
        now.addAndGet(100);
        assertThat(q.offer(3)).isEqualTo(OfferResult.ACCEPTED);          // at 1200
        QueueStats s = q.stats();
        assertThat(s.utilization()).isEqualTo(0.75);
        assertThat(s.oldestAge()).isEqualTo(Duration.ofNanos(200));
        now.addAndGet(300);                                               // 1500
        List<Integer> out = new ArrayList<>();
        assertThat(q.drainTo(out, 2)).isEqualTo(2);                      // waits 500 and 400
        s = q.stats();
        assertThat(s.drained()).isEqualTo(2);
        assertThat(s.maxWait()).isEqualTo(Duration.ofNanos(500));
        assertThat(s.meanWait()).isEqualTo(Duration.ofNanos(450));
        assertThat(s.totalWait()).isEqualTo(Duration.ofNanos(900));
        assertThat(s.utilization()).isEqualTo(0.25);
        assertThat(s.name()).isEqualTo("u");
        assertThat(q.offer(4)).isEqualTo(OfferResult.ACCEPTED);
        assertThat(q.offer(5)).isEqualTo(OfferResult.ACCEPTED);
        assertThat(q.offer(6)).isEqualTo(OfferResult.ACCEPTED);
        assertThat(q.stats().utilization()).isEqualTo(1.0);
    }

    @Test
    void drainToHonoursMax() {
        BoundedWorkQueue<Integer> q = queue(10, OverflowPolicy.REJECT);
        for (int i = 0; i < 7; i++) {
            assertThat(q.offer(i)).isEqualTo(OfferResult.ACCEPTED);
        }
        List<Integer> out = new ArrayList<>();
        assertThat(q.drainTo(out, 3)).isEqualTo(3);
        assertThat(out).containsExactly(0, 1, 2);
        assertThat(q.drainTo(out, 0)).isZero();
        assertThat(q.drainTo(out, 100)).isEqualTo(4);
        assertThat(out).containsExactly(0, 1, 2, 3, 4, 5, 6);
        assertThatThrownBy(() -> q.drainTo(out, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void failingDropHandlerIsCountedAndDoesNotBreakTheQueue() {
        BoundedWorkQueue<Integer> q = BoundedWorkQueue.<Integer>builder(1, OverflowPolicy.DROP_OLDEST)
                .onDrop((item, why) -> {
                    throw new IllegalStateException("boom");
                }).build();
        assertThat(q.offer(1)).isEqualTo(OfferResult.ACCEPTED);
        assertThat(q.offer(2)).isEqualTo(OfferResult.DROPPED_OLDEST);
        assertThat(q.dropHandlerFailures()).isEqualTo(1);
        assertThat(q.poll()).isEqualTo(2);
    }

    @Test
    void builderRefusesInconsistentConfiguration() {
        assertThatThrownBy(() -> BoundedWorkQueue.builder(0, OverflowPolicy.REJECT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity");
        assertThatThrownBy(() -> BoundedWorkQueue.builder(1, OverflowPolicy.BLOCK).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("blockTimeout");
        assertThatThrownBy(() -> BoundedWorkQueue.builder(1, OverflowPolicy.REJECT).blockTimeout(Duration.ofMillis(1)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("only applies");
        assertThatThrownBy(() -> queue(1, OverflowPolicy.REJECT).offer(null)).isInstanceOf(NullPointerException.class);
    }

    /** Several producers and consumers hammer a small queue; every count must add up. */
    @ParameterizedTest
    @EnumSource(OverflowPolicy.class)
    @Timeout(30)
    void concurrentProducersAndConsumersCountsAddUp(OverflowPolicy policy) throws Exception {
        AtomicLong droppedByHandler = new AtomicLong();
        BoundedWorkQueue.Builder<Integer> b = BoundedWorkQueue.<Integer>builder(16, policy)
                .onDrop((item, why) -> droppedByHandler.incrementAndGet());
        if (policy == OverflowPolicy.BLOCK) {
            b.blockTimeout(Duration.ofMillis(1));
        }
        BoundedWorkQueue<Integer> q = b.build();
        int producers = 4;
        int perProducer = 20_000;
        AtomicLong accepted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong droppedNewest = new AtomicLong();
        AtomicLong consumed = new AtomicLong();
        AtomicBoolean producing = new AtomicBoolean(true);
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService ex = Executors.newFixedThreadPool(producers + 3);
        List<Future<?>> futures = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            final int base = p * perProducer;
            futures.add(ex.submit(() -> {
                start.await();
                for (int i = 0; i < perProducer; i++) {
                    OfferResult r = q.offer(base + i);
                    switch (r) {
                        case ACCEPTED, DROPPED_OLDEST -> accepted.incrementAndGet();
                        case DROPPED_NEWEST -> droppedNewest.incrementAndGet();
                        case REJECTED, TIMED_OUT, CLOSED -> refused.incrementAndGet();
                        default -> throw new AssertionError(r);
                    }
                }
                return null;
            }));
        }
        for (int c = 0; c < 2; c++) {
            futures.add(ex.submit(() -> {
                start.await();
                List<Integer> batch = new ArrayList<>();
                while (producing.get() || q.size() > 0) {
                    batch.clear();
                    int n = q.drainTo(batch, 7, Duration.ofMillis(5));
                    consumed.addAndGet(n);
                    seen.addAll(batch);
                }
                return null;
            }));
        }
        AtomicLong snapshots = new AtomicLong();
        Future<?> monitor = ex.submit(() -> {
            start.await();
            do { // at least one snapshot, even when the producers finish before this thread is scheduled
                assertInvariants(q.stats()); // every snapshot adds up, even mid-flight
                snapshots.incrementAndGet();
                Thread.onSpinWait();
            } while (producing.get());
            return null;
        });
        start.countDown();
        for (int i = 0; i < producers; i++) {
            futures.get(i).get(20, TimeUnit.SECONDS);
        }
        producing.set(false);
        for (Future<?> f : futures) {
            f.get(20, TimeUnit.SECONDS);
        }
        monitor.get(20, TimeUnit.SECONDS);
        assertThat(snapshots.get()).isPositive();
        ex.shutdownNow();

        QueueStats s = q.stats();
        long offered = (long) producers * perProducer;
        assertThat(s.offered()).isEqualTo(offered);
        assertInvariants(s);
        assertThat(s.depth()).isZero();
        assertThat(s.accepted()).isEqualTo(accepted.get());
        assertThat(s.rejected() + s.timedOut()).isEqualTo(refused.get());
        assertThat(s.droppedNewest()).isEqualTo(droppedNewest.get());
        assertThat(s.drained()).isEqualTo(consumed.get());
        assertThat(droppedByHandler.get()).isEqualTo(s.dropped());
        assertThat(offered).isEqualTo(consumed.get() + s.dropped() + refused.get());
        assertThat(seen).doesNotHaveDuplicates().hasSize((int) consumed.get());
        switch (policy) {
            case REJECT -> assertThat(s.timedOut() + s.dropped()).isZero();
            case BLOCK -> assertThat(s.rejected() + s.dropped()).isZero();
            case DROP_OLDEST -> assertThat(s.rejected() + s.timedOut() + s.droppedNewest()).isZero();
            case DROP_NEWEST -> assertThat(s.rejected() + s.timedOut() + s.droppedOldest()).isZero();
            default -> throw new AssertionError(policy);
        }
        System.out.printf("%s: offered=%d accepted=%d rejected=%d timedOut=%d droppedOldest=%d droppedNewest=%d drained=%d meanWait=%s maxWait=%s%n",
                policy, s.offered(), s.accepted(), s.rejected(), s.timedOut(), s.droppedOldest(), s.droppedNewest(),
                s.drained(), s.meanWait(), s.maxWait());
    }
}
