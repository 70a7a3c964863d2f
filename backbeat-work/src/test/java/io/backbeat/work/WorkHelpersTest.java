package io.backbeat.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CostEstimator, ProgressiveBackoff, GracefulDegradation, WorkPrioritizer. */
class WorkHelpersTest {

    // ---- CostEstimator ----

    @Test
    void ewmaSeedsWithFirstSampleThenSmooths() {
        CostEstimator e = CostEstimator.ewma(0.5);
        assertThat(e.hasEstimate()).isFalse();
        assertThat(e.estimateNanos()).isZero();
        e.record(1_000);
        assertThat(e.estimateNanos()).isEqualTo(1_000);
        e.record(3_000);
        assertThat(e.estimateNanos()).isEqualTo(2_000);
        e.record(3_000);
        assertThat(e.estimateNanos()).isEqualTo(2_500);
        e.record(-5); // clamped to 0
        assertThat(e.estimateNanos()).isEqualTo(1_250);
        e.record(8_000, 4); // 2000 per item
        assertThat(e.estimateNanos()).isEqualTo(1_625);
        assertThat(e.samples()).isEqualTo(5);
    }

    @Test
    void ewmaConvergesToANewCostGeometrically() {
        CostEstimator e = CostEstimator.ewma(0.2);
        for (int i = 0; i < 50; i++) {
            e.record(1_000_000);
        }
        for (int k = 1; k <= 10; k++) {
            e.record(3_000_000);
            double expected = 3_000_000 - 2_000_000 * Math.pow(0.8, k);
            assertThat((double) e.estimateNanos()).isCloseTo(expected, within(2.0));
        }
    }

    @Test
    void percentileUsesNearestRankOverTheWindow() {
        CostEstimator e = CostEstimator.percentile(0.9, 10);
        for (int i = 1; i <= 10; i++) {
            e.record(i * 100L);
        }
        assertThat(e.estimateNanos()).isEqualTo(900);
        e.record(5_000); // evicts 100
        assertThat(e.estimateNanos()).isEqualTo(1_000);
        for (int i = 0; i < 10; i++) {
            e.record(50);
        }
        assertThat(e.estimateNanos()).isEqualTo(50);
        assertThat(CostEstimator.percentile(1.0, 3)).satisfies(p -> {
            p.record(7);
            p.record(9);
            assertThat(p.estimateNanos()).isEqualTo(9);
        });
    }

    @Test
    void estimatorRefusesBadParameters() {
        assertThatThrownBy(() -> CostEstimator.ewma(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CostEstimator.ewma(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CostEstimator.percentile(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CostEstimator.percentile(0.9, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CostEstimator.ewma(0.2).record(1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- ProgressiveBackoff ----

    @Test
    void backoffReducesBy20PercentWhenMissRateExceeds10Percent() {
        ProgressiveBackoff b = ProgressiveBackoff.withDefaults(); // window 20, min samples 10
        for (int i = 0; i < 9; i++) {
            assertThat(b.recordPhase(false)).isEqualTo(1.0);
        }
        // 10th sample: 1 miss out of 10 = 10 %, not above the threshold
        assertThat(b.recordPhase(true)).isEqualTo(1.0);
        // 2 misses out of 11 = 18 % > 10 %: reduce
        assertThat(b.recordPhase(true)).isEqualTo(0.8);
        assertThat(b.reductions()).isEqualTo(1);
        assertThat(b.missRate()).isZero(); // window cleared: next decision needs fresh evidence
        assertThat(b.apply(100)).isEqualTo(80);
        assertThat(b.apply(1_000_000L)).isEqualTo(800_000L);
    }

    @Test
    void backoffKeepsReducingUnderSustainedOverloadDownToTheFloor() {
        ProgressiveBackoff b = ProgressiveBackoff.builder().window(10, 5).minFactor(0.3).build();
        double f = 1.0;
        for (int i = 0; i < 200; i++) {
            f = b.recordPhase(true);
        }
        assertThat(f).isEqualTo(0.3);
        assertThat(b.apply(10)).isEqualTo(3);
        assertThat(b.apply(1)).isEqualTo(1);
    }

    @Test
    void backoffRecoversGraduallyAfterCleanPhases() {
        ProgressiveBackoff b = ProgressiveBackoff.builder().window(10, 5).recovery(0.05, 5).build();
        for (int i = 0; i < 5; i++) {
            b.recordPhase(true);
        }
        assertThat(b.factor()).isEqualTo(0.8);
        List<Double> trail = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            trail.add(b.recordPhase(false));
        }
        // +0.05 every 5 clean phases, capped at 1
        assertThat(trail.get(3)).isCloseTo(0.80, within(1e-9));
        assertThat(trail.get(4)).isCloseTo(0.85, within(1e-9));
        assertThat(trail.get(9)).isCloseTo(0.90, within(1e-9));
        assertThat(trail.get(14)).isCloseTo(0.95, within(1e-9));
        assertThat(trail.get(19)).isCloseTo(1.00, within(1e-9));
        assertThat(trail.get(24)).isEqualTo(1.0);
    }

    @Test
    void occasionalMissesBelowTheThresholdChangeNothing() {
        ProgressiveBackoff b = ProgressiveBackoff.withDefaults();
        for (int i = 0; i < 400; i++) {
            b.recordPhase(i % 20 == 0); // 5 %
        }
        assertThat(b.factor()).isEqualTo(1.0);
        assertThat(b.reductions()).isZero();
    }

    @Test
    void backoffRefusesBadParameters() {
        assertThatThrownBy(() -> ProgressiveBackoff.builder().reduction(1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProgressiveBackoff.builder().missRateThreshold(1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProgressiveBackoff.builder().window(5, 6)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProgressiveBackoff.builder().recovery(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProgressiveBackoff.builder().minFactor(0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- GracefulDegradation ----

    @Test
    void degradesBelowTheMinimumRemainingTime() {
        GracefulDegradation g = GracefulDegradation.belowRemaining(Duration.ofMillis(100));
        assertThat(g.mode(Duration.ofMillis(100).toNanos())).isEqualTo(GracefulDegradation.Mode.FULL);
        assertThat(g.mode(Duration.ofMillis(100).toNanos() - 1)).isEqualTo(GracefulDegradation.Mode.ESSENTIAL_ONLY);
        assertThat(g.mode(-5)).isEqualTo(GracefulDegradation.Mode.ESSENTIAL_ONLY);
        long deadline = Long.MAX_VALUE - 10; // nanoTime values may be near overflow
        assertThat(g.mode(deadline, deadline - 200_000_000L)).isEqualTo(GracefulDegradation.Mode.FULL);
        assertThat(g.mode(deadline, deadline - 50_000_000L)).isEqualTo(GracefulDegradation.Mode.ESSENTIAL_ONLY);
        assertThat(g.minimumFull()).isEqualTo(Duration.ofMillis(100));
        assertThatThrownBy(() -> GracefulDegradation.belowRemaining(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---- WorkPrioritizer ----

    record Task(String id, int priority, long deadlineNanos) implements WorkPrioritizer.Prioritized {
    }

    @Test
    void ordersByPriorityThenDeadlineAcrossNanoTimeWrap() {
        long base = Long.MAX_VALUE - 1_000;
        Task a = new Task("a", 1, base + 500);      // wraps to negative, still later than base + 100
        Task b = new Task("b", 1, base + 100);
        Task c = new Task("c", 5, base + 900);
        Task d = new Task("d", 5, base + 10);
        Task e = new Task("e", 0, base);
        List<Task> sorted = WorkPrioritizer.<Task>natural().sorted(List.of(a, b, c, d, e));
        assertThat(sorted).extracting(Task::id).containsExactly("d", "c", "b", "a", "e");
    }

    @Test
    void planSelectsWhatFitsTheBudget() {
        WorkPrioritizer<Task> p = WorkPrioritizer.by(Task::priority, Task::deadlineNanos);
        List<Task> work = List.of(new Task("low", 0, 1), new Task("hi", 9, 5), new Task("mid", 5, 2),
                new Task("mid-early", 5, 1));
        WorkPrioritizer.Plan<Task> plan = p.plan(work, 3_500, 1_000);
        assertThat(plan.selected()).extracting(Task::id).containsExactly("hi", "mid-early", "mid");
        assertThat(plan.deferred()).extracting(Task::id).containsExactly("low");
        assertThat(p.plan(work, 0, 1_000).selected()).isEmpty();
        assertThat(p.plan(work, 10, 0).selected()).hasSize(4);
        assertThatThrownBy(() -> p.plan(work, 10, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- WorkSource adapters ----

    @Test
    void workSourceAdaptersMoveAtMostMaxItems() {
        WorkSource<Integer> it = WorkSource.fromIterator(List.of(1, 2, 3, 4, 5).iterator());
        List<Integer> sink = new ArrayList<>();
        assertThat(it.drainTo(sink, 2)).isEqualTo(2);
        assertThat(it.drainTo(sink, 10)).isEqualTo(3);
        assertThat(it.drainTo(sink, 10)).isZero();
        assertThat(sink).containsExactly(1, 2, 3, 4, 5);

        java.util.ArrayDeque<String> d = new java.util.ArrayDeque<>(List.of("a", "b", "c"));
        WorkSource<String> sup = WorkSource.fromSupplier(d::pollFirst);
        List<String> out = new ArrayList<>();
        assertThat(sup.drainTo(out, 2)).isEqualTo(2);
        assertThat(sup.drainTo(out, 0)).isZero();
        assertThat(sup.drainTo(out, 5)).isEqualTo(1);
        assertThat(out).containsExactly("a", "b", "c");
    }
}
