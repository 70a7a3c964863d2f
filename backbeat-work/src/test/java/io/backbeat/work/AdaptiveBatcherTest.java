package io.backbeat.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Batch sizing maths and behaviour, driven by a virtual clock. */
class AdaptiveBatcherTest {

    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong(1_000 * MS);

    /** A source of numbered items. */
    private static WorkSource<Integer> numbers(int count) {
        ArrayDeque<Integer> d = new ArrayDeque<>();
        IntStream.range(0, count).forEach(d::add);
        return WorkSource.fromSupplier(d::pollFirst);
    }

    private static WorkSource<Integer> endless() {
        AtomicLong n = new AtomicLong();
        return WorkSource.fromSupplier(() -> (int) n.getAndIncrement());
    }

    /** Processor that costs {@code costMs} of virtual time per item. */
    private ItemProcessor<Integer> costing(long costNanos, List<Integer> seen) {
        return item -> {
            seen.add(item);
            now.addAndGet(costNanos);
        };
    }

    @Test
    void batchSizeFormula() {
        assertThat(AdaptiveBatcher.batchSize(100 * MS, MS, 0.8, 1000)).isEqualTo(80);
        assertThat(AdaptiveBatcher.batchSize(20 * MS, MS, 0.8, 1000)).isEqualTo(16);
        assertThat(AdaptiveBatcher.batchSize(4 * MS, MS, 0.8, 1000)).isEqualTo(3);
        assertThat(AdaptiveBatcher.batchSize(MS, MS, 0.8, 1000)).isEqualTo(1);     // floor(0.8) clamped to 1
        assertThat(AdaptiveBatcher.batchSize(100 * MS, MS, 0.8, 50)).isEqualTo(50); // maxBatch
        assertThat(AdaptiveBatcher.batchSize(100 * MS, 0, 0.8, 50)).isEqualTo(50);  // free items
        assertThat(AdaptiveBatcher.batchSize(0, MS, 0.8, 50)).isZero();
        assertThat(AdaptiveBatcher.batchSize(-5, MS, 0.8, 50)).isZero();
    }

    @Test
    void eachBatchUsesEightyPercentOfTheRemainingTime() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).safetyMargin(Duration.ZERO).build();
        List<Integer> seen = new ArrayList<>();
        long deadline = now.get() + 100 * MS;
        PhaseResult r = batcher.runPhase(deadline, endless(), costing(MS, seen));
        // R=100 -> 80, R=20 -> 16, R=4 -> 3, R=1 -> 1, R=0 -> stop
        assertThat(r.batchSizes()).containsExactly(80, 16, 3, 1);
        assertThat(r.processed()).isEqualTo(100);
        assertThat(r.stopReason()).isEqualTo(PhaseResult.StopReason.TIME_BUDGET);
        assertThat(r.finishedInTime()).isTrue();
        assertThat(r.remaining()).isEqualTo(Duration.ZERO);
        assertThat(r.estimatedCost()).isEqualTo(Duration.ofMillis(1));
        assertThat(seen).containsExactlyElementsOf(IntStream.range(0, 100).boxed().toList());
    }

    @Test
    void safetyMarginMovesTheStopPoint() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).safetyMargin(Duration.ofMillis(5)).build();
        PhaseResult r = batcher.runPhase(now.get() + 100 * MS, endless(), costing(MS, new ArrayList<>()));
        assertThat(r.batchSizes()).containsExactly(76, 15, 3, 1);
        assertThat(r.remaining()).isEqualTo(Duration.ofMillis(5));
    }

    @Test
    void unknownCostIsProbedWithASingleItemThenLearned() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).safetyMargin(Duration.ZERO).build();
        assertThat(batcher.stats().estimatedCost()).isEqualTo(Duration.ZERO);
        PhaseResult r = batcher.runPhase(now.get() + 100 * MS, endless(), costing(2 * MS, new ArrayList<>()));
        // probe 1 (t=2), then R=98 -> floor(0.8*98/2)=39 (t=80), R=20 -> 8 (t=96), R=4 -> 1 (t=98), R=2 -> 1 (t=100)
        assertThat(r.batchSizes()).containsExactly(1, 39, 8, 1, 1);
        assertThat(r.finishedInTime()).isTrue();
        assertThat(batcher.stats().estimatedCost()).isEqualTo(Duration.ofMillis(2));
    }

    @Test
    void sourceRunningDryEndsThePhaseEarly() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).build();
        PhaseResult r = batcher.runPhase(now.get() + 100 * MS, numbers(10), costing(MS, new ArrayList<>()));
        assertThat(r.processed()).isEqualTo(10);
        assertThat(r.stopReason()).isEqualTo(PhaseResult.StopReason.SOURCE_EMPTY);
        assertThat(r.remaining()).isEqualTo(Duration.ofMillis(90));
        assertThat(r.carriedOver()).isZero();
    }

    @Test
    void costJumpInsideABatchStopsAtTheDeadlineAndCarriesTheRestOver() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).safetyMargin(Duration.ZERO)
                .costEstimator(CostEstimator.ewma(1.0)).build();
        List<Integer> seen = new ArrayList<>();
        ItemProcessor<Integer> proc = item -> {
            seen.add(item);
            now.addAndGet(item < 50 ? MS : 10 * MS);
        };
        WorkSource<Integer> source = numbers(1_000);
        PhaseResult r = batcher.runPhase(now.get() + 100 * MS, source, proc);
        // batch of 80: items 0..49 take 50 ms, 50..54 take 10 ms each -> t = 100; item 55 would not fit
        assertThat(r.batchSizes()).containsExactly(80);
        assertThat(r.processed()).isEqualTo(55);
        assertThat(r.carriedOver()).isEqualTo(25);
        assertThat(r.finishedInTime()).isTrue();
        assertThat(batcher.stats().carriedOver()).isEqualTo(25);

        // next phase starts with the carried-over items, in order
        seen.clear();
        PhaseResult r2 = batcher.runPhase(now.get() + 100 * MS, source, proc);
        assertThat(seen.subList(0, 8)).containsExactly(55, 56, 57, 58, 59, 60, 61, 62);
        assertThat(r2.batchSizes().get(0)).isEqualTo(8); // floor(0.8 * 100 / 10)
        assertThat(r2.finishedInTime()).isTrue();

        List<Integer> reclaimed = new ArrayList<>();
        int n = batcher.drainCarryOver(reclaimed);
        assertThat(n).isEqualTo(reclaimed.size());
        assertThat(batcher.stats().carriedOver()).isZero();
    }

    @Test
    void prioritizerOrdersEachBatch() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1))
                .prioritizer(WorkPrioritizer.by(i -> i % 3, i -> -i)) // priority 2 first, then larger i first
                .build();
        List<Integer> seen = new ArrayList<>();
        batcher.runPhase(now.get() + 100 * MS, numbers(9), costing(MS, seen));
        assertThat(seen).containsExactly(8, 5, 2, 7, 4, 1, 6, 3, 0);
    }

    @Test
    void lateStartRunsEssentialWorkOnlyAndHandsTheRestToTheSkipHandler() {
        List<Integer> skipped = new ArrayList<>();
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1))
                .degradation(GracefulDegradation.belowRemaining(Duration.ofMillis(50)), i -> i % 2 == 0, skipped::add)
                .build();
        List<Integer> seen = new ArrayList<>();
        PhaseResult late = batcher.runPhase(now.get() + 40 * MS, numbers(10), costing(MS, seen));
        assertThat(late.essentialOnly()).isTrue();
        assertThat(seen).containsExactly(0, 2, 4, 6, 8);
        assertThat(skipped).containsExactly(1, 3, 5, 7, 9);
        assertThat(late.skipped()).isEqualTo(5);

        seen.clear();
        PhaseResult onTime = batcher.runPhase(now.get() + 100 * MS, numbers(4), costing(MS, seen));
        assertThat(onTime.essentialOnly()).isFalse();
        assertThat(seen).containsExactly(0, 1, 2, 3);
        assertThat(batcher.stats().skipped()).isEqualTo(5);
    }

    @Test
    void failingItemsAreCountedAndTheRunContinues() {
        List<Integer> failures = new ArrayList<>();
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1))
                .onFailure((item, e) -> failures.add(item)).build();
        PhaseResult r = batcher.runPhase(now.get() + 100 * MS, numbers(10), item -> {
            now.addAndGet(MS);
            if (item % 4 == 0) {
                throw new IllegalArgumentException("bad item " + item);
            }
        });
        assertThat(r.processed()).isEqualTo(7);
        assertThat(r.failed()).isEqualTo(3);
        assertThat(r.attempted()).isEqualTo(10);
        assertThat(failures).containsExactly(0, 4, 8);
        assertThat(batcher.stats().failed()).isEqualTo(3);
    }

    @Test
    void batchModeHandsWholeBatchesAndLearnsPerItemCost() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).safetyMargin(Duration.ZERO)
                .costEstimator(CostEstimator.ewma(1.0)).build();
        List<Integer> sizes = new ArrayList<>();
        PhaseResult r = batcher.runPhaseBatched(now.get() + 100 * MS, endless(), batch -> {
            sizes.add(batch.size());
            now.addAndGet(2 * MS + batch.size() * MS / 2); // fixed 2 ms round trip + 0.5 ms per item
        });
        assertThat(r.batchSizes()).isEqualTo(sizes);
        // 80 items -> 42 ms; one sample: 525 us/item, no fixed part yet
        // R=58: floor(0.8*58/0.525)=88 -> 46 ms; two sizes seen: fit gives fixed 2 ms, 0.5 ms/item
        // R=12: floor((9.6-2)/0.5)=15 -> 9.5 ms; R=2.5: 2 + 0.5 <= 2.5 -> 1 item -> 2.5 ms; R=0: stop
        assertThat(sizes).containsExactly(80, 88, 15, 1);
        assertThat(r.finishedInTime()).isTrue();
        assertThat(r.remaining()).isEqualTo(Duration.ZERO);
    }

    @Test
    void backoffShrinksThePhaseBudgetAfterOverruns() {
        ProgressiveBackoff backoff = ProgressiveBackoff.builder().window(4, 2).build();
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).safetyMargin(Duration.ZERO)
                .costEstimator(CostEstimator.ewma(0.01)).backoff(backoff).build();
        // learn a 1 ms cost, then every item secretly takes 30 ms while the slow EWMA stays near 1 ms
        assertThat(batcher.runPhase(now.get() + 100 * MS, endless(), costing(MS, new ArrayList<>())).finishedInTime())
                .isTrue();
        for (int i = 0; i < 2; i++) {
            PhaseResult r = batcher.runPhase(now.get() + 10 * MS, endless(), item -> now.addAndGet(30 * MS));
            assertThat(r.finishedInTime()).isFalse();
        }
        assertThat(backoff.factor()).isEqualTo(0.8);
        BatcherStats s = batcher.stats();
        assertThat(s.overruns()).isEqualTo(2);
        assertThat(s.budgetFactor()).isEqualTo(0.8);
        assertThat(s.worstOverrun()).isGreaterThanOrEqualTo(Duration.ofMillis(20));

        // with factor 0.8 a 100 ms phase gets an 80 ms budget
        AdaptiveBatcher<Integer> fresh = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).safetyMargin(Duration.ZERO)
                .backoff(backoff).build();
        PhaseResult r = fresh.runPhase(now.get() + 100 * MS, endless(), costing(MS, new ArrayList<>()));
        assertThat(r.budgetFactor()).isEqualTo(0.8);
        assertThat(r.processed()).isEqualTo(80);
        assertThat(r.remaining()).isEqualTo(Duration.ofMillis(20));
    }

    @Test
    void passedDeadlineDoesNoWork() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder().nanoClock(now::get).build();
        PhaseResult r = batcher.runPhase(now.get() - MS, endless(), costing(MS, new ArrayList<>()));
        assertThat(r.processed()).isZero();
        assertThat(r.stopReason()).isEqualTo(PhaseResult.StopReason.TIME_BUDGET);
        assertThat(r.finishedInTime()).isFalse();
    }

    @Test
    void interruptEndsThePhaseAndCarriesTheRest() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).onFailure((i, e) -> { }).build();
        try {
            PhaseResult r = batcher.runPhase(now.get() + 100 * MS, numbers(20), item -> {
                now.addAndGet(MS);
                if (item == 3) {
                    throw new InterruptedException();
                }
            });
            assertThat(r.stopReason()).isEqualTo(PhaseResult.StopReason.INTERRUPTED);
            assertThat(r.processed()).isEqualTo(3);
            assertThat(r.carriedOver()).isEqualTo(16);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void reentrantRunIsRefused() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).build();
        List<Exception> caught = new ArrayList<>();
        batcher.runPhase(now.get() + 10 * MS, numbers(1), item -> {
            try {
                batcher.runPhase(now.get() + 10 * MS, numbers(1), i -> { });
            } catch (IllegalStateException e) {
                caught.add(e);
            }
            assertThatThrownBy(() -> batcher.drainCarryOver(new ArrayList<>())).isInstanceOf(IllegalStateException.class);
        });
        assertThat(caught).hasSize(1);
        // and the batcher is usable again afterwards
        assertThat(batcher.runPhase(now.get() + 10 * MS, numbers(2), i -> now.addAndGet(MS)).processed()).isEqualTo(2);
    }

    @Test
    void builderRefusesBadValues() {
        assertThatThrownBy(() -> AdaptiveBatcher.builder().targetShare(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdaptiveBatcher.builder().targetShare(1.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdaptiveBatcher.builder().maxBatch(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdaptiveBatcher.builder().safetyMargin(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdaptiveBatcher.builder().initialCost(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
