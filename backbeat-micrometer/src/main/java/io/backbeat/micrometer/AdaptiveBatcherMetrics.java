package io.backbeat.micrometer;

import io.backbeat.work.AdaptiveBatcher;
import io.backbeat.work.BatcherStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer binding for an {@link AdaptiveBatcher}.
 *
 * <p>Meters, tagged {@code batcher=<name>} plus extra tags: counters
 * {@code backbeat.work.batcher.phases} (with {@code outcome=in_time|overrun}),
 * {@code .batches}, {@code .items} (with {@code outcome=processed|failed|skipped}); gauges
 * {@code .cost.estimate} (seconds per item), {@code .overrun.max} (seconds), {@code .budget.factor},
 * {@code .carried.over}.
 *
 * <p>Threading: meters read {@link AdaptiveBatcher#stats()}, which is safe from any thread.
 */
public final class AdaptiveBatcherMetrics implements MeterBinder {

    private static final String PREFIX = "backbeat.work.batcher.";

    private final AdaptiveBatcher<?> batcher;
    private final Tags tags;

    /** Binds {@code batcher} under the tag {@code batcher=name} plus {@code extraTags}. */
    public AdaptiveBatcherMetrics(AdaptiveBatcher<?> batcher, String name, Iterable<Tag> extraTags) {
        this.batcher = Objects.requireNonNull(batcher, "batcher");
        this.tags = Tags.of("batcher", Objects.requireNonNull(name, "name")).and(extraTags);
    }

    /** Binds {@code batcher} under the tag {@code batcher=name}. */
    public AdaptiveBatcherMetrics(AdaptiveBatcher<?> batcher, String name) {
        this(batcher, name, Tags.empty());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "phases", "phase runs", s -> s.phasesInTime(), Tags.of("outcome", "in_time"));
        counter(registry, "phases", "phase runs", s -> s.overruns(), Tags.of("outcome", "overrun"));
        counter(registry, "batches", "batches run", s -> s.batches(), Tags.empty());
        counter(registry, "items", "items handled", s -> s.processed(), Tags.of("outcome", "processed"));
        counter(registry, "items", "items handled", s -> s.failed(), Tags.of("outcome", "failed"));
        counter(registry, "items", "items handled", s -> s.skipped(), Tags.of("outcome", "skipped"));
        gauge(registry, "cost.estimate", "per-item cost estimate", s -> s.estimatedCost().toNanos() / 1e9, "seconds");
        gauge(registry, "overrun.max", "largest overrun", s -> s.worstOverrun().toNanos() / 1e9, "seconds");
        gauge(registry, "budget.factor", "progressive backoff factor", BatcherStats::budgetFactor, null);
        gauge(registry, "carried.over", "items held for the next phase", s -> s.carriedOver(), null);
    }

    private void counter(MeterRegistry registry, String name, String description,
                         ToDoubleFunction<BatcherStats> fn, Tags extra) {
        FunctionCounter.builder(PREFIX + name, batcher, b -> fn.applyAsDouble(b.stats()))
                .description(description).tags(tags.and(extra)).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description,
                       ToDoubleFunction<BatcherStats> fn, String unit) {
        Gauge.Builder<AdaptiveBatcher<?>> b = Gauge.<AdaptiveBatcher<?>>builder(PREFIX + name, batcher, x -> fn.applyAsDouble(x.stats()))
                .description(description).tags(tags);
        if (unit != null) {
            b.baseUnit(unit);
        }
        b.register(registry);
    }
}
