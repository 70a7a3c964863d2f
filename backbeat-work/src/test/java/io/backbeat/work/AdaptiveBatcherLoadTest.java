package io.backbeat.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Synthetic load: an endless supply of items whose cost changes midway (1 ms -> 3 ms, +-20 % noise),
 * phases of a 120 BPM beat (166.7 ms), callbacks delivered 0-3 ms late. The batcher must finish
 * inside the phase in at least 95 % of the phases while keeping the phase busy. Most cases fill the
 * phase up to the safety margin ({@code targetShare(1.0)}); {@link #defaultShareUsesEightyPercentOfThePhase}
 * runs the default share.
 */
class AdaptiveBatcherLoadTest {

    private static final long MS = 1_000_000L;
    private static final long PHASE = Math.round(60e9 / 120 / 3); // 120 BPM, 3 phases
    private static final int PHASES = 240;

    record Outcome(double inTimeShare, double inTimeBefore, double inTimeAfter, double utilBefore, double utilAfter,
                   double itemsBefore, double itemsAfter, long worstOverrunNanos, int misses) {
    }

    /** Runs the simulation on a virtual clock with a fixed seed. */
    static Outcome simulate(CostEstimator estimator, long seed) {
        return simulate(estimator, seed, 0.0, 1.0, Duration.ofMillis(2));
    }

    static Outcome simulate(CostEstimator estimator, long seed, double tailProbability, double tailFactor,
                            Duration safetyMargin) {
        return simulate(estimator, seed, tailProbability, tailFactor, safetyMargin, 1.0);
    }

    /**
     * As {@link #simulate(CostEstimator, long)}, plus a tail: each item is {@code tailFactor} times
     * slower with probability {@code tailProbability}; the batcher's share of the phase is {@code share}.
     */
    static Outcome simulate(CostEstimator estimator, long seed, double tailProbability, double tailFactor,
                            Duration safetyMargin, double share) {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        long t0 = now.get();
        long switchAt = t0 + PHASES / 2 * PHASE + PHASE / 2; // cost changes in the middle of a phase
        Random random = new Random(seed);
        AdaptiveBatcher<Long> batcher = AdaptiveBatcher.<Long>builder()
                .nanoClock(now::get)
                .costEstimator(estimator)
                .safetyMargin(safetyMargin)
                .targetShare(share)
                .build();
        AtomicLong ids = new AtomicLong();
        WorkSource<Long> endless = WorkSource.fromSupplier(ids::getAndIncrement);
        ItemProcessor<Long> work = item -> {
            long base = now.get() < switchAt ? MS : 3 * MS;
            double tail = random.nextDouble() < tailProbability ? tailFactor : 1.0;
            now.addAndGet(Math.round(base * tail * (0.8 + 0.4 * random.nextDouble())));
        };
        int inTime = 0;
        int inBefore = 0;
        int inAfter = 0;
        double utilBefore = 0;
        double utilAfter = 0;
        long itemsBefore = 0;
        long itemsAfter = 0;
        long worst = 0;
        int half = PHASES / 2;
        for (int k = 0; k < PHASES; k++) {
            long phaseStart = t0 + k * PHASE;
            long deadline = phaseStart + PHASE;
            long delivered = phaseStart + (long) (random.nextDouble() * 3 * MS);
            now.set(Math.max(now.get(), delivered)); // a late previous phase delays this one
            long began = now.get();
            PhaseResult r = batcher.runPhase(deadline, endless, work);
            double util = (double) (now.get() - began) / PHASE;
            if (r.finishedInTime()) {
                inTime++;
            } else {
                worst = Math.max(worst, -r.remaining().toNanos());
            }
            if (k < half) {
                inBefore += r.finishedInTime() ? 1 : 0;
                utilBefore += util;
                itemsBefore += r.processed();
            } else if (k > half) { // the phase where the cost changes counts in the total only
                inAfter += r.finishedInTime() ? 1 : 0;
                utilAfter += util;
                itemsAfter += r.processed();
            }
        }
        int after = PHASES - half - 1;
        return new Outcome((double) inTime / PHASES, (double) inBefore / half, (double) inAfter / after,
                utilBefore / half, utilAfter / after, (double) itemsBefore / half, (double) itemsAfter / after,
                worst, PHASES - inTime);
    }

    private static void report(String label, Outcome o) {
        System.out.printf(Locale.ROOT,
                "virtual-time %s: phases=%d inTime=%.4f (misses=%d, worst overrun=%.3f ms) before: inTime=%.3f util=%.3f items/phase=%.1f"
                        + " | after: inTime=%.3f util=%.3f items/phase=%.1f%n",
                label, PHASES, o.inTimeShare(), o.misses(), o.worstOverrunNanos() / 1e6, o.inTimeBefore(),
                o.utilBefore(), o.itemsBefore(), o.inTimeAfter(), o.utilAfter(), o.itemsAfter());
    }

    @Test
    void ewmaFinishesInsideThePhaseInAtLeast95PercentOfPhases() {
        Outcome o = simulate(CostEstimator.ewma(0.2), 42L);
        report("ewma(0.2)", o);
        assertThat(o.inTimeShare()).isGreaterThanOrEqualTo(0.95);
        // not trivially in time: the phase is kept busy and throughput follows the cost
        assertThat(o.utilBefore()).isGreaterThan(0.85);
        assertThat(o.utilAfter()).isGreaterThan(0.85);
        assertThat(o.itemsBefore() / o.itemsAfter()).isBetween(2.5, 3.5);
    }

    @Test
    void p90FinishesInsideThePhaseInAtLeast95PercentOfPhases() {
        Outcome o = simulate(CostEstimator.percentile(0.9, 128), 42L);
        report("p90/128", o);
        assertThat(o.inTimeShare()).isGreaterThanOrEqualTo(0.95);
        assertThat(o.utilBefore()).isGreaterThan(0.85);
        assertThat(o.utilAfter()).isGreaterThan(0.85);
    }

    @Test
    void resultHoldsForOtherSeeds() {
        for (long seed = 1; seed <= 5; seed++) {
            Outcome o = simulate(CostEstimator.ewma(0.2), seed);
            report("ewma(0.2) seed " + seed, o);
            assertThat(o.inTimeShare()).isGreaterThanOrEqualTo(0.95);
        }
    }

    /**
     * Heavy tail (2 % of items 4x slower, up to 14.4 ms after the change). With the 2 ms margin the
     * 95 % goal is just met (a slow item at the end of a phase cannot be predicted); a margin of one
     * worst-case item (15 ms) removes nearly every miss.
     */
    @Test
    void heavyTailedCosts() {
        Outcome ewma = simulate(CostEstimator.ewma(0.2), 42L, 0.02, 4.0, Duration.ofMillis(2));
        Outcome p90 = simulate(CostEstimator.percentile(0.9, 128), 42L, 0.02, 4.0, Duration.ofMillis(2));
        Outcome wide = simulate(CostEstimator.ewma(0.2), 42L, 0.02, 4.0, Duration.ofMillis(15));
        report("ewma(0.2) tail 2%x4 margin 2ms", ewma);
        report("p90/128 tail 2%x4 margin 2ms", p90);
        report("ewma(0.2) tail 2%x4 margin 15ms", wide);
        assertThat(ewma.inTimeShare()).isGreaterThanOrEqualTo(0.95);
        assertThat(p90.inTimeShare()).isGreaterThanOrEqualTo(0.95);
        assertThat(wide.inTimeShare()).isGreaterThanOrEqualTo(0.99);
        assertThat(wide.utilAfter()).isGreaterThan(0.8);
    }

    /** The default share: 80 % of each phase, so nearly no phase overruns even with the heavy tail. */
    @Test
    void defaultShareUsesEightyPercentOfThePhase() {
        Outcome plain = simulate(CostEstimator.ewma(0.2), 42L, 0.0, 1.0, Duration.ofMillis(2), 0.8);
        Outcome tail = simulate(CostEstimator.ewma(0.2), 42L, 0.02, 4.0, Duration.ofMillis(2), 0.8);
        report("ewma(0.2) share 0.8", plain);
        report("ewma(0.2) share 0.8 tail 2%x4 margin 2ms", tail);
        assertThat(plain.inTimeShare()).isGreaterThanOrEqualTo(0.99);
        assertThat(tail.inTimeShare()).isGreaterThanOrEqualTo(0.99);
        for (Outcome o : new Outcome[]{plain, tail}) {
            assertThat(o.utilBefore()).isBetween(0.7, 0.81);
            assertThat(o.utilAfter()).isBetween(0.7, 0.81);
        }
    }

    /**
     * The same on a real clock with real sleeps: 30 phases of 100 ms (3 s), items park 1 ms then 3 ms.
     * The machine is shared, so the bound is generous; the measured share is printed.
     */
    @Test
    @Timeout(30)
    void realClockVariant() {
        long phase = 100 * MS;
        int phases = 30;
        AdaptiveBatcher<Long> batcher = AdaptiveBatcher.<Long>builder()
                .safetyMargin(Duration.ofMillis(5))
                .build();
        AtomicLong ids = new AtomicLong();
        WorkSource<Long> endless = WorkSource.fromSupplier(ids::getAndIncrement);
        long t0 = System.nanoTime() + 20 * MS;
        long switchAt = t0 + phases / 2 * phase;
        ItemProcessor<Long> work = item -> LockSupport.parkNanos(System.nanoTime() < switchAt ? MS : 3 * MS);
        int inTime = 0;
        long worst = 0;
        long items = 0;
        for (int k = 0; k < phases; k++) {
            long phaseStart = t0 + k * phase;
            long deadline = phaseStart + phase;
            long wait;
            while ((wait = phaseStart - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            PhaseResult r = batcher.runPhase(deadline, endless, work);
            items += r.processed();
            if (r.finishedInTime()) {
                inTime++;
            } else {
                worst = Math.max(worst, -r.remaining().toNanos());
            }
        }
        double share = (double) inTime / phases;
        System.out.printf(Locale.ROOT,
                "real-clock: phases=%d inTime=%.3f worst overrun=%.3f ms items=%d estimate at end=%s%n",
                phases, share, worst / 1e6, items, batcher.stats().estimatedCost());
        assertThat(items).isGreaterThan(phases);
        assertThat(share).isGreaterThanOrEqualTo(0.75);
    }
}
