package io.backbeat.micrometer;

import io.backbeat.work.stages.PipelinedProcessor;
import io.backbeat.work.stages.StageStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer binding for a {@link PipelinedProcessor}: per stage,
 * tagged {@code pipeline=<name>}, {@code stage=<phase>} plus extra tags, counters
 * {@code backbeat.work.pipeline.items} ({@code outcome=processed|failed|filtered|forward_refused}),
 * {@code .busy} (seconds in the handler), and gauges {@code .queue.depth}, {@code .queue.utilization},
 * {@code .queue.oldest.age} (seconds) for the stage's input queue.
 *
 * <p>Threading: meters read {@link PipelinedProcessor#stats()}, which is safe from any thread.
 */
public final class PipelinedProcessorMetrics implements MeterBinder {

    private static final String PREFIX = "backbeat.work.pipeline.";

    private final PipelinedProcessor<?> pipeline;
    private final Tags tags;

    /** Binds {@code pipeline} under the tag {@code pipeline=name} plus {@code extraTags}. */
    public PipelinedProcessorMetrics(PipelinedProcessor<?> pipeline, String name, Iterable<Tag> extraTags) {
        this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
        this.tags = Tags.of("pipeline", Objects.requireNonNull(name, "name")).and(extraTags);
    }

    /** Binds {@code pipeline} under the tag {@code pipeline=name}. */
    public PipelinedProcessorMetrics(PipelinedProcessor<?> pipeline, String name) {
        this(pipeline, name, Tags.empty());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        List<String> phases = pipeline.phases();
        for (int i = 0; i < phases.size(); i++) {
            final int index = i;
            Tags stageTags = tags.and("stage", phases.get(i));
            counter(registry, "items", index, stageTags.and("outcome", "processed"), StageStats::processed);
            counter(registry, "items", index, stageTags.and("outcome", "failed"), StageStats::failed);
            counter(registry, "items", index, stageTags.and("outcome", "filtered"), StageStats::filtered);
            counter(registry, "items", index, stageTags.and("outcome", "forward_refused"), StageStats::forwardRefused);
            counter(registry, "busy", index, stageTags, s -> s.busy().toNanos() / 1e9);
            gauge(registry, "queue.depth", index, stageTags, s -> s.queue().depth());
            gauge(registry, "queue.utilization", index, stageTags, s -> s.queue().utilization());
            gauge(registry, "queue.oldest.age", index, stageTags, s -> s.queue().oldestAge().toNanos() / 1e9);
        }
    }

    private void counter(MeterRegistry registry, String name, int index, Tags t, ToDoubleFunction<StageStats> fn) {
        FunctionCounter.builder(PREFIX + name, pipeline, p -> fn.applyAsDouble(p.stats().get(index)))
                .tags(t).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, int index, Tags t, ToDoubleFunction<StageStats> fn) {
        Gauge.builder(PREFIX + name, pipeline, p -> fn.applyAsDouble(p.stats().get(index))).tags(t).register(registry);
    }
}
