package io.backbeat.micrometer;

import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.testkit.client.InMemoryPulse;
import io.backbeat.testkit.VirtualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The Micrometer binder reads the client's real counters (virtual clock, in-memory pulse, no NATS). */
class BeatClientMetricsTest {

    @Test
    void metersFollowTheClient() {
        VirtualClock clock = VirtualClock.startingAt(Instant.parse("2030-01-01T00:00:00Z"));
        InMemoryPulse pulse = InMemoryPulse.start(clock, "metrics-1", 120);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BeatClient client = pulse.clientBuilder().build()) {
            new BeatClientMetrics(client).bindTo(registry);
            client.addListener(new BeatListener() {
                @Override
                public void onPlan(BeatContext ctx) {
                    ctx.countTasks(2);
                }

                @Override
                public void onReview(BeatContext ctx) {
                    throw new IllegalStateException("counted, not fatal");
                }
            });
            clock.advance(Duration.ofSeconds(2)); // 4 beats at 120 BPM
            pulse.publishRaw("not json".getBytes(StandardCharsets.UTF_8));
            assertThat(registry.get("backbeat.client.degraded").gauge().value()).isZero();
            pulse.silence();
            clock.advance(Duration.ofSeconds(2));
            assertThat(registry.get("backbeat.client.degraded").gauge().value()).isEqualTo(1.0);
            assertThat(registry.get("backbeat.client.phases.derived").functionCounter().count()).isPositive();
            pulse.resume();
            clock.advance(Duration.ofSeconds(2));
            assertThat(registry.get("backbeat.client.degraded").gauge().value()).isZero();

            assertThat(registry.get("backbeat.client.frames.dropped").tag("reason", "malformed").functionCounter()
                    .count()).isEqualTo(1.0);
            assertThat(registry.get("backbeat.client.frames.accepted").functionCounter().count()).isPositive();
            assertThat(registry.get("backbeat.client.tasks").functionCounter().count())
                    .isEqualTo(2.0 * registry.get("backbeat.client.listener.errors").functionCounter().count());
            assertThat(registry.get("backbeat.client.listener.errors").functionCounter().count()).isGreaterThanOrEqualTo(10);
            assertThat(registry.get("backbeat.client.phase.processing").functionTimer().count())
                    .isGreaterThanOrEqualTo(30);
            assertThat(registry.get("backbeat.client.tempo.bpm").gauge().value()).isEqualTo(120.0);
            long late = registry.get("backbeat.client.frame.late").timer().count();
            long early = registry.get("backbeat.client.frame.early").timer().count();
            assertThat((double) late + early).as("every accepted frame lands in one of the two lag histograms")
                    .isEqualTo(registry.get("backbeat.client.frames.accepted").functionCounter().count());
            assertThat(registry.get("backbeat.client.frame.late").timer().takeSnapshot().histogramCounts())
                    .as("ms-scale buckets").hasSizeGreaterThanOrEqualTo(10);
            double completion = registry.get("backbeat.client.phase.completion.rate").gauge().value();
            double miss = registry.get("backbeat.client.deadline.miss.rate").gauge().value();
            assertThat(completion + miss).isEqualTo(1.0);
        }
    }

    @Test
    void clientMetricsBinderReportsTheGuidesMetrics() {
        VirtualClock clock = VirtualClock.startingAt(Instant.parse("2030-01-01T00:00:00Z"));
        InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 120);
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        try (BeatClient client = pulse.clientBuilder().agentId("m").grace(Duration.ofMillis(100)).build()) {
            new BeatClientMetrics(client).bindTo(registry);
            client.addListener(new BeatListener() {
                @Override
                public void onPhase(BeatContext ctx) {
                    ctx.countTasks(2);
                }
            });
            clock.advance(Duration.ofSeconds(2));
            pulse.publishRaw("garbage".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            pulse.silence();
            clock.advance(Duration.ofSeconds(1));
            assertThat(registry.get("backbeat.client.degraded").gauge().value()).isEqualTo(1.0);
        }
        assertThat(registry.get("backbeat.client.tasks").functionCounter().count()).isEqualTo(2.0 * 18);
        assertThat(registry.get("backbeat.client.phase.processing").functionTimer().count()).isEqualTo(18);
        assertThat(registry.get("backbeat.client.phase.completion.rate").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("backbeat.client.frames.dropped").tag("reason", "malformed").functionCounter().count())
                .isEqualTo(1.0);
        assertThat(registry.get("backbeat.client.phases.derived").functionCounter().count()).isEqualTo(6.0);
        assertThat(registry.get("backbeat.client.tempo.bpm").gauge().value()).isEqualTo(120.0);
    }
}
