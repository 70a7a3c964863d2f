package io.backbeat.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.backbeat.work.AdaptiveBatcher;
import io.backbeat.work.BoundedWorkQueue;
import io.backbeat.work.OverflowPolicy;
import io.backbeat.work.WorkSource;
import io.backbeat.work.stages.PipelinedProcessor;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WorkMetricsTest {

    @Test
    void metersReflectTheQueue() {
        AtomicLong now = new AtomicLong();
        BoundedWorkQueue<String> q = BoundedWorkQueue.<String>builder(4, OverflowPolicy.DROP_OLDEST)
                .name("ingest").nanoClock(now::get).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new BoundedWorkQueueMetrics(q, Tags.of("service", "demo")).bindTo(registry);

        for (int i = 0; i < 6; i++) {
            assertThat(q.offer("x" + i).accepted()).isTrue();
        }
        now.addAndGet(2_000_000);
        assertThat(q.drainTo(new ArrayList<>(), 1)).isEqualTo(1);

        assertThat(registry.get("backbeat.work.queue.depth").tag("queue", "ingest").tag("service", "demo")
                .gauge().value()).isEqualTo(3.0);
        assertThat(registry.get("backbeat.work.queue.capacity").gauge().value()).isEqualTo(4.0);
        assertThat(registry.get("backbeat.work.queue.utilization").gauge().value()).isEqualTo(0.75);
        assertThat(registry.get("backbeat.work.queue.offered").functionCounter().count()).isEqualTo(6.0);
        assertThat(registry.get("backbeat.work.queue.accepted").functionCounter().count()).isEqualTo(6.0);
        assertThat(registry.get("backbeat.work.queue.drained").functionCounter().count()).isEqualTo(1.0);
        assertThat(registry.get("backbeat.work.queue.dropped").tag("reason", "oldest").functionCounter().count())
                .isEqualTo(2.0);
        assertThat(registry.get("backbeat.work.queue.dropped").tag("reason", "newest").functionCounter().count())
                .isZero();
        assertThat(registry.get("backbeat.work.queue.refused").tag("reason", "rejected").functionCounter().count())
                .isZero();
        FunctionTimer wait = registry.get("backbeat.work.queue.wait").functionTimer();
        assertThat(wait.count()).isEqualTo(1.0);
        assertThat(wait.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2.0);
        assertThat(registry.get("backbeat.work.queue.wait.max").gauge().value()).isEqualTo(0.002);
        assertThat(registry.get("backbeat.work.queue.oldest.age").gauge().value()).isEqualTo(0.002);
    }

    @Test
    void batcherAndPipelineMeters() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicLong now = new AtomicLong();
        AdaptiveBatcher<Integer> batcher = AdaptiveBatcher.<Integer>builder().nanoClock(now::get)
                .initialCost(java.time.Duration.ofMillis(1)).build();
        new AdaptiveBatcherMetrics(batcher, "main").bindTo(registry);
        java.util.ArrayDeque<Integer> items = new java.util.ArrayDeque<>(java.util.List.of(1, 2, 3));
        batcher.runPhase(now.get() + 100_000_000L, WorkSource.fromSupplier(items::pollFirst), i -> now.addAndGet(1_000_000L));
        assertThat(registry.get("backbeat.work.batcher.items").tag("outcome", "processed").functionCounter().count())
                .isEqualTo(3.0);
        assertThat(registry.get("backbeat.work.batcher.phases").tag("outcome", "in_time").functionCounter().count())
                .isEqualTo(1.0);
        assertThat(registry.get("backbeat.work.batcher.cost.estimate").gauge().value()).isEqualTo(0.001);

        try (PipelinedProcessor<String> p = PipelinedProcessor.<String>builder()
                .stage("plan", (b, s) -> s).stage("review", (b, s) -> null).build()) {
            new PipelinedProcessorMetrics(p, "orders").bindTo(registry);
            assertThat(p.submit(1, "x").accepted()).isTrue();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                    registry.get("backbeat.work.pipeline.items").tag("stage", "review").tag("outcome", "filtered")
                            .functionCounter().count() == 1.0);
            assertThat(registry.get("backbeat.work.pipeline.items").tag("stage", "plan").tag("outcome", "processed")
                    .functionCounter().count()).isEqualTo(1.0);
            assertThat(registry.get("backbeat.work.pipeline.queue.depth").tag("stage", "plan").gauge().value()).isZero();
        }
    }
}
