package io.backbeat.work;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One run of an {@link AdaptiveBatcher}: sizes each batch from the time left and the learned cost,
 * takes it (carried-over items first), orders and filters it, processes it and learns from it, until
 * the time budget or the source ends. Runs on the caller's thread while the batcher's run is held.
 *
 * @param <T> item type
 */
final class PhaseRun<T> {
    private final AdaptiveBatcher<T> b;
    private final WorkSource<? extends T> source;
    private final ItemProcessor<? super T> itemProc;
    private final BatchProcessor<? super T> batchProc;
    private final long budgetEnd;
    private final boolean essentialOnly;
    int processed;
    int failed;
    int skipped;
    final List<Integer> sizes = new ArrayList<>();

    PhaseRun(AdaptiveBatcher<T> batcher, WorkSource<? extends T> source, ItemProcessor<? super T> itemProc,
             BatchProcessor<? super T> batchProc, long budgetEnd, boolean essentialOnly) {
        this.b = batcher;
        this.source = source;
        this.itemProc = itemProc;
        this.batchProc = batchProc;
        this.budgetEnd = budgetEnd;
        this.essentialOnly = essentialOnly;
    }

    /** Runs batches until one of the stop reasons. */
    PhaseResult.StopReason run() {
        List<T> batch = new ArrayList<>();
        while (true) {
            if (Thread.currentThread().isInterrupted()) {
                return PhaseResult.StopReason.INTERRUPTED;
            }
            long now = b.clock.getAsLong();
            long remaining = budgetEnd - now;
            long cost = b.costNanos();
            int size;
            if (batchProc != null && b.batchModel.known()) {
                long fixed = b.batchModel.fixedNanos();
                long perItem = b.batchModel.perItemNanos();
                if (remaining <= 0 || fixed + perItem > remaining) {
                    return PhaseResult.StopReason.TIME_BUDGET;
                }
                size = Math.max(1, AdaptiveBatcher.batchSize((long) (b.targetShare * remaining) - fixed, perItem, 1.0,
                        b.maxBatch));
            } else {
                if (remaining <= 0 || cost > remaining) {
                    return PhaseResult.StopReason.TIME_BUDGET;
                }
                size = cost < 0 ? 1 : AdaptiveBatcher.batchSize(remaining, cost, b.targetShare, b.maxBatch);
            }
            batch.clear();
            while (batch.size() < size && !b.carry.isEmpty()) {
                batch.add(b.carry.pollFirst());
            }
            if (batch.size() < size) {
                try {
                    source.drainTo(batch, size - batch.size());
                } catch (RuntimeException e) {
                    b.carryOver(batch, 0);
                    throw e;
                }
            }
            if (batch.isEmpty()) {
                return PhaseResult.StopReason.SOURCE_EMPTY;
            }
            if (b.prioritizer != null) {
                batch.sort(b.prioritizer);
            }
            if (essentialOnly) {
                List<T> kept = new ArrayList<>(batch.size());
                for (T item : batch) {
                    if (b.essential.test(item)) {
                        kept.add(item);
                    } else {
                        skipped++;
                        b.skip(item);
                    }
                }
                batch = kept;
                if (batch.isEmpty()) {
                    continue;
                }
            }
            sizes.add(batch.size());
            b.batches++;
            if (itemProc != null) {
                long t = b.clock.getAsLong();
                for (int i = 0; i < batch.size(); i++) {
                    long c = b.costNanos();
                    if (i > 0 && (t >= budgetEnd || c > budgetEnd - t)) {
                        b.carryOver(batch, i);
                        return PhaseResult.StopReason.TIME_BUDGET;
                    }
                    T item = batch.get(i);
                    try {
                        itemProc.process(item);
                        processed++;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        failed++;
                        b.fail(item, e);
                        b.carryOver(batch, i + 1);
                        return PhaseResult.StopReason.INTERRUPTED;
                    } catch (Exception e) {
                        failed++;
                        b.fail(item, e);
                    }
                    long after = b.clock.getAsLong();
                    b.estimator.record(after - t);
                    t = after;
                }
            } else {
                long t = b.clock.getAsLong();
                try {
                    batchProc.process(Collections.unmodifiableList(batch));
                    processed += batch.size();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failed += batch.size();
                    batch.forEach(item -> b.fail(item, e));
                    return PhaseResult.StopReason.INTERRUPTED;
                } catch (Exception e) {
                    failed += batch.size();
                    batch.forEach(item -> b.fail(item, e));
                }
                long took = b.clock.getAsLong() - t;
                b.estimator.record(took, batch.size());
                b.batchModel.record(batch.size(), took);
            }
        }
    }
}
