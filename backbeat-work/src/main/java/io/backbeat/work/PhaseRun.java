package io.backbeat.work;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One run of an {@link AdaptiveBatcher}: sizes each batch from the time left and the learned cost,
 * takes it (carried-over items first), orders and filters it, processes it and learns from it, until
 * the time budget or the source ends. A run that starts before its stop point tries at least one
 * item even when the estimate says none fits (the probe), so a stale estimate is always measured
 * again. Runs on the caller's thread while the batcher's run is held.
 *
 * @param <T> item type
 */
final class PhaseRun<T> {
    private final AdaptiveBatcher<T> b;
    private final WorkSource<? extends T> source;
    private final ItemProcessor<? super T> itemProc;
    private final BatchProcessor<? super T> batchProc;
    private final long budgetEnd;
    private final long stop;
    private final boolean essentialOnly;
    private boolean tried;           // an item was handed to a processor in this run
    private long lastProbeNanos = -1; // what the last probe took; -1 when the last batch was no probe
    int processed;
    int failed;
    int skipped;
    final List<Integer> sizes = new ArrayList<>();

    PhaseRun(AdaptiveBatcher<T> batcher, WorkSource<? extends T> source, ItemProcessor<? super T> itemProc,
             BatchProcessor<? super T> batchProc, long budgetEnd, long stop, boolean essentialOnly) {
        this.b = batcher;
        this.source = source;
        this.itemProc = itemProc;
        this.batchProc = batchProc;
        this.budgetEnd = budgetEnd;
        this.stop = stop;
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
            // probe: the first try of a run, and again while the last probe itself fitted the budget
            boolean probe = stop - now > 0 && (!tried || (lastProbeNanos >= 0 && lastProbeNanos <= remaining));
            boolean probing = false;
            int size;
            if (batchProc != null && b.batchModel.known()) {
                long fixed = b.batchModel.fixedNanos();
                long perItem = b.batchModel.perItemNanos();
                if (remaining <= 0 || fixed + perItem > remaining) {
                    if (!probe) {
                        return PhaseResult.StopReason.TIME_BUDGET;
                    }
                    size = 1;
                    probing = true;
                } else {
                    size = Math.max(1, AdaptiveBatcher.batchSize(remaining - fixed, perItem, 1.0,
                            Math.min(b.maxBatch, b.batchModel.sizeCap())));
                }
            } else if (remaining <= 0 || cost > remaining) {
                if (!probe) {
                    return PhaseResult.StopReason.TIME_BUDGET;
                }
                size = 1;
                probing = true;
            } else {
                size = cost < 0 ? 1 : AdaptiveBatcher.batchSize(remaining, cost, 1.0, b.maxBatch);
            }
            batch.clear();
            while (batch.size() < size && !b.carry.isEmpty()) {
                batch.add(b.carry.pollFirst());
            }
            if (batch.size() < size) {
                try {
                    source.drainTo(batch, size - batch.size());
                } catch (RuntimeException e) {
                    carryOver(batch, 0);
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
                        b.handlers.skip(item);
                    }
                }
                batch = kept;
                if (batch.isEmpty()) {
                    continue;
                }
            }
            sizes.add(batch.size());
            b.tally.batch();
            tried = true;
            if (itemProc != null) {
                long t = b.clock.getAsLong();
                for (int i = 0; i < batch.size(); i++) {
                    long c = b.costNanos();
                    if (i > 0 && (t >= budgetEnd || c > budgetEnd - t)) {
                        carryOver(batch, i);
                        return PhaseResult.StopReason.TIME_BUDGET;
                    }
                    T item = batch.get(i);
                    try {
                        itemProc.process(item);
                        processed++;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        failed++;
                        b.handlers.fail(item, e);
                        carryOver(batch, i + 1);
                        return PhaseResult.StopReason.INTERRUPTED;
                    } catch (Exception e) {
                        failed++;
                        b.handlers.fail(item, e);
                    }
                    long after = b.clock.getAsLong();
                    b.estimator.record(after - t);
                    lastProbeNanos = probing ? after - t : -1;
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
                    batch.forEach(item -> b.handlers.fail(item, e));
                    return PhaseResult.StopReason.INTERRUPTED;
                } catch (Exception e) {
                    failed += batch.size();
                    batch.forEach(item -> b.handlers.fail(item, e));
                }
                long took = b.clock.getAsLong() - t;
                b.estimator.record(took, batch.size());
                b.batchModel.record(batch.size(), took);
                lastProbeNanos = probing ? took : -1;
            }
        }
    }

    /** Puts {@code batch} from index {@code from} back at the head of the carry-over, in order. */
    private void carryOver(List<T> batch, int from) {
        for (int i = batch.size() - 1; i >= from; i--) {
            b.carry.addFirst(batch.get(i));
        }
    }
}
