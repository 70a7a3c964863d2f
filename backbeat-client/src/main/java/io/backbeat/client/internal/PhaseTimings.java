package io.backbeat.client.internal;

import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/** How long phase callbacks took and whether they ended inside their phase. Thread-safe counters. */
public final class PhaseTimings {
    private final LongAdder count = new LongAdder();
    private final LongAdder totalNanos = new LongAdder();
    private final LongAccumulator maxNanos = new LongAccumulator(Math::max, 0);
    private final LongAdder missed = new LongAdder();

    void record(long nanos, boolean missedDeadline) {
        count.increment();
        totalNanos.add(nanos);
        maxNanos.accumulate(nanos);
        if (missedDeadline) {
            missed.increment();
        }
    }

    public long count() {
        return count.sum();
    }

    public long totalNanos() {
        return totalNanos.sum();
    }

    public long maxNanos() {
        return maxNanos.get();
    }

    public long missed() {
        return missed.sum();
    }
}
