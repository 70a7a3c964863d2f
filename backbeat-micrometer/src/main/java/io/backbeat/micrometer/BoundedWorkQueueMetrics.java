package io.backbeat.micrometer;

import io.backbeat.work.BoundedWorkQueue;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer binding for a {@link BoundedWorkQueue}.
 *
 * <p>Meters, all tagged {@code queue=<name>} plus any extra tags:
 * <ul>
 *   <li>{@code backbeat.work.queue.depth}, {@code .capacity}, {@code .utilization} (gauges)</li>
 *   <li>{@code backbeat.work.queue.offered}, {@code .accepted}, {@code .drained} (function counters)</li>
 *   <li>{@code backbeat.work.queue.refused} with {@code reason=rejected|timed_out}</li>
 *   <li>{@code backbeat.work.queue.dropped} with {@code reason=oldest|newest}</li>
 *   <li>{@code backbeat.work.queue.wait} (function timer: drained items and their total wait) and
 *       {@code backbeat.work.queue.wait.max}, {@code backbeat.work.queue.oldest.age} (gauges, seconds)</li>
 * </ul>
 *
 * <p>Threading: meters read {@link BoundedWorkQueue#stats()} (thread-safe) when scraped. The gauges
 * hold the queue weakly, as Micrometer does by default.
 */
public final class BoundedWorkQueueMetrics implements MeterBinder {

    private static final String PREFIX = "backbeat.work.queue.";

    private final BoundedWorkQueue<?> queue;
    private final Tags tags;

    /** Binds {@code queue} with the tag {@code queue=<queue name>} plus {@code extraTags}. */
    public BoundedWorkQueueMetrics(BoundedWorkQueue<?> queue, Iterable<Tag> extraTags) {
        this.queue = Objects.requireNonNull(queue, "queue");
        this.tags = Tags.of("queue", queue.name()).and(extraTags);
    }

    /** Binds {@code queue} with the tag {@code queue=<queue name>}. */
    public BoundedWorkQueueMetrics(BoundedWorkQueue<?> queue) {
        this(queue, Tags.empty());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "depth", "items queued now", q -> q.stats().depth(), null);
        gauge(registry, "capacity", "maximum depth", BoundedWorkQueue::capacity, null);
        gauge(registry, "utilization", "depth / capacity", q -> q.stats().utilization(), null);
        gauge(registry, "wait.max", "longest wait of a drained item",
                q -> q.stats().maxWait().toNanos() / 1e9, "seconds");
        gauge(registry, "oldest.age", "age of the item at the head of the queue",
                q -> q.stats().oldestAge().toNanos() / 1e9, "seconds");

        counter(registry, "offered", "offers made", q -> q.stats().offered(), Tags.empty());
        counter(registry, "accepted", "items that entered the queue", q -> q.stats().accepted(), Tags.empty());
        counter(registry, "drained", "items taken by consumers", q -> q.stats().drained(), Tags.empty());
        counter(registry, "refused", "offers refused, item kept by the caller", q -> q.stats().rejected(),
                Tags.of("reason", "rejected"));
        counter(registry, "refused", "offers refused, item kept by the caller", q -> q.stats().timedOut(),
                Tags.of("reason", "timed_out"));
        counter(registry, "dropped", "items lost to a drop policy", q -> q.stats().droppedOldest(),
                Tags.of("reason", "oldest"));
        counter(registry, "dropped", "items lost to a drop policy", q -> q.stats().droppedNewest(),
                Tags.of("reason", "newest"));

        FunctionTimer.builder(PREFIX + "wait", queue,
                        q -> q.stats().drained(),
                        q -> (double) q.stats().totalWait().toNanos(),
                        TimeUnit.NANOSECONDS)
                .description("time drained items spent in the queue")
                .tags(tags)
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description,
                       ToDoubleFunction<BoundedWorkQueue<?>> fn, String unit) {
        Gauge.Builder<BoundedWorkQueue<?>> b = Gauge.builder(PREFIX + name, queue, fn).description(description).tags(tags);
        if (unit != null) {
            b.baseUnit(unit);
        }
        b.register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description,
                         ToDoubleFunction<BoundedWorkQueue<?>> fn, Tags extra) {
        FunctionCounter.builder(PREFIX + name, queue, fn).description(description).tags(tags.and(extra))
                .register(registry);
    }
}
