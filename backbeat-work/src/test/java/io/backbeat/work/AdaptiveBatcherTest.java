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
    void theBudgetIsEightyPercentOfThePhase() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).safetyMargin(Duration.ZERO).build();
        List<Integer> seen = new ArrayList<>();
        long deadline = now.get() + 100 * MS;
        PhaseResult r = batcher.runPhase(deadline, endless(), costing(MS, seen));
        // budget 0.8 x 100 ms: R=80 -> 80, R=0 -> stop
        assertThat(r.batchSizes()).containsExactly(80);
        assertThat(r.processed()).isEqualTo(80);
        assertThat(r.stopReason()).isEqualTo(PhaseResult.StopReason.TIME_BUDGET);
        assertThat(r.finishedInTime()).isTrue();
        assertThat(r.remaining()).isEqualTo(Duration.ofMillis(20));
        assertThat(r.estimatedCost()).isEqualTo(Duration.ofMillis(1));
        assertThat(seen).containsExactlyElementsOf(IntStream.range(0, 80).boxed().toList());
    }

    @Test
    void safetyMarginMovesTheStopPoint() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).safetyMargin(Duration.ofMillis(5))
                .targetShare(1.0).build();
        PhaseResult r = batcher.runPhase(now.get() + 100 * MS, endless(), costing(MS, new ArrayList<>()));
        assertThat(r.batchSizes()).containsExactly(95);
        assertThat(r.remaining()).isEqualTo(Duration.ofMillis(5));
    }

    @Test
    void aLateRunCountsTheShareFromThePhaseStart() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).safetyMargin(Duration.ZERO).build();
        long phaseStart = now.get() - 30 * MS; // the callback comes 30 ms into a 100 ms phase
        PhaseResult r = batcher.runPhase(phaseStart, phaseStart + 100 * MS, endless(), costing(MS, new ArrayList<>()));
        assertThat(r.processed()).isEqualTo(50); // budget ends 80 ms after the phase start
        assertThat(r.remaining()).isEqualTo(Duration.ofMillis(20));
        PhaseResult b = batcher.runPhaseBatched(now.get(), now.get() + 100 * MS, endless(),
                batch -> now.addAndGet(batch.size() * MS));
        assertThat(b.processed()).isEqualTo(80);
        assertThatThrownBy(() -> batcher.runPhase(now.get() + MS, now.get(), endless(), i -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after its deadline");
    }

    @Test
    void theBudgetFormula() {
        // share x factor of the phase from its start, never after the stop point
        assertThat(AdaptiveBatcher.budgetEnd(1_000, 1_100, 1_095, 0.8, 1.0)).isEqualTo(1_080);
        assertThat(AdaptiveBatcher.budgetEnd(1_000, 1_100, 1_095, 0.8, 0.5)).isEqualTo(1_040);
        assertThat(AdaptiveBatcher.budgetEnd(1_000, 1_100, 1_095, 1.0, 1.0)).isEqualTo(1_095);
        assertThat(AdaptiveBatcher.budgetEnd(1_000, 1_000, 995, 0.8, 1.0)).isEqualTo(995);
        // System.nanoTime values may be negative or wrap: only differences count
        assertThat(AdaptiveBatcher.budgetEnd(Long.MAX_VALUE - 50, Long.MAX_VALUE - 50 + 100, Long.MAX_VALUE - 50 + 95,
                0.8, 1.0)).isEqualTo(Long.MAX_VALUE - 50 + 80);
    }

    @Test
    void aProbeIsTriedEvenWhenTheEstimateSaysNothingFits() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).safetyMargin(Duration.ZERO)
                .costEstimator(CostEstimator.percentile(0.9, 128)).build();
        // one item of 200 ms: the p90 estimate is 200 ms until 9 cheaper samples outrank it
        PhaseResult first = batcher.runPhase(now.get() + 100 * MS, numbers(1), costing(200 * MS, new ArrayList<>()));
        assertThat(first.processed()).isEqualTo(1);
        assertThat(batcher.stats().estimatedCost()).isEqualTo(Duration.ofMillis(200));
        // the estimate exceeds the 80 ms budget; the probe finds items cost 1 ms and, since each probe
        // fits, probing goes on until the estimate has recovered, inside this phase
        PhaseResult r = batcher.runPhase(now.get() + 100 * MS, endless(), costing(MS, new ArrayList<>()));
        assertThat(r.batchSizes()).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 1, 71);
        assertThat(r.processed()).isEqualTo(80);
        assertThat(r.finishedInTime()).isTrue();
        assertThat(batcher.stats().estimatedCost()).isEqualTo(Duration.ofMillis(1));
        // a probe that does not fit is the only item of its phase
        AdaptiveBatcher<Integer> slow = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(500)).safetyMargin(Duration.ZERO).build();
        PhaseResult one = slow.runPhase(now.get() + 100 * MS, endless(), costing(90 * MS, new ArrayList<>()));
        assertThat(one.processed()).isEqualTo(1);
        assertThat(one.stopReason()).isEqualTo(PhaseResult.StopReason.TIME_BUDGET);
        // no probe once the stop point has passed
        AdaptiveBatcher<Integer> late = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(500)).safetyMargin(Duration.ofMillis(5)).build();
        assertThat(late.runPhase(now.get() + 4 * MS, endless(), costing(MS, new ArrayList<>())).processed()).isZero();
    }

    @Test
    void unknownCostIsProbedWithASingleItemThenLearned() {
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).safetyMargin(Duration.ZERO).build();
        assertThat(batcher.stats().estimatedCost()).isEqualTo(Duration.ZERO);
        PhaseResult r = batcher.runPhase(now.get() + 100 * MS, endless(), costing(2 * MS, new ArrayList<>()));
        // budget 80 ms: probe 1 (t=2), then R=78 -> floor(78/2)=39 (t=80), R=0 -> stop
        assertThat(r.batchSizes()).containsExactly(1, 39);
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
        // budget 80 ms, batch of 80: items 0..49 take 50 ms, 50..52 take 10 ms each -> t = 80; item 53 would not fit
        assertThat(r.batchSizes()).containsExactly(80);
        assertThat(r.processed()).isEqualTo(53);
        assertThat(r.carriedOver()).isEqualTo(27);
        assertThat(r.finishedInTime()).isTrue();
        assertThat(batcher.stats().carriedOver()).isEqualTo(27);

        // next phase starts with the carried-over items, in order
        seen.clear();
        PhaseResult r2 = batcher.runPhase(now.get() + 100 * MS, source, proc);
        assertThat(seen.subList(0, 8)).containsExactly(53, 54, 55, 56, 57, 58, 59, 60);
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
        // budget 80 ms: 80 items -> 42 ms; one sample: 525 us/item, no fixed part yet
        // R=38: floor(38/0.525)=72 -> 38 ms; R=0: stop. Two sizes seen: fit gives fixed 2 ms, 0.5 ms/item
        assertThat(sizes).containsExactly(80, 72);
        assertThat(r.finishedInTime()).isTrue();
        assertThat(r.remaining()).isEqualTo(Duration.ofMillis(20));
        // next phase, with the fit: R=80: floor((80-2)/0.5)=156 -> 80 ms
        sizes.clear();
        PhaseResult r2 = batcher.runPhaseBatched(now.get() + 100 * MS, endless(), batch -> {
            sizes.add(batch.size());
            now.addAndGet(2 * MS + batch.size() * MS / 2);
        });
        assertThat(sizes).containsExactly(156);
        assertThat(r2.remaining()).isEqualTo(Duration.ofMillis(20));
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

        // with factor 0.8 (and share 1) a 100 ms phase gets an 80 ms budget
        AdaptiveBatcher<Integer> fresh = AdaptiveBatcher.<Integer>builder()
                .nanoClock(now::get).initialCost(Duration.ofMillis(1)).safetyMargin(Duration.ZERO)
                .targetShare(1.0).backoff(backoff).build();
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
