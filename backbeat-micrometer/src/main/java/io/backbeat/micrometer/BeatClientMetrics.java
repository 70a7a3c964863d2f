package io.backbeat.micrometer;

import io.backbeat.client.BeatClient;
import io.backbeat.client.ClientStats;
import io.backbeat.client.DropReason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.concurrent.TimeUnit;

/**
 * The tempo guide's client metrics for a {@link BeatClient}:
 * <ul>
 *   <li>{@code backbeat.client.phase.processing} (timer: count and total of phase callbacks) and
 *       {@code backbeat.client.phase.processing.max};</li>
 *   <li>{@code backbeat.client.phase.completion.rate} and {@code backbeat.client.deadline.miss.rate}
 *       (share of callbacks that ended inside / after their phase);</li>
 *   <li>{@code backbeat.client.tasks} (counted by listeners), {@code backbeat.client.frames.dropped{reason}},
 *       {@code backbeat.client.frames.accepted}, {@code backbeat.client.phases.derived},
 *       {@code backbeat.client.listener.errors}, {@code backbeat.client.skipped.busy};</li>
 *   <li>{@code backbeat.client.degraded} (1 while degraded), {@code backbeat.client.tempo.bpm},
 *       {@code backbeat.client.tempo.drift} (the last recovery's correction, seconds) and
 *       {@code backbeat.client.frame.lag} (last frame's arrival minus its grid instant, seconds);</li>
 *   <li>histograms (ms-scale buckets, {@code _bucket} series in Prometheus, so quantiles aggregate
 *       across clients) of every accepted frame's lag, split by sign since Micrometer records no
 *       negative values: {@code backbeat.client.frame.late} (arrival at or after the phase start) and
 *       {@code backbeat.client.frame.early} (how much before it: the pulse's clock is ahead of this
 *       client's); their counts add up to the frames accepted.</li>
 * </ul>
 * Queue and batcher metrics: {@link BoundedWorkQueueMetrics} and the other binders of this package.
 */
public final class BeatClientMetrics implements MeterBinder {
    private final BeatClient client;
    private final Tags tags;

    public BeatClientMetrics(BeatClient client) {
        this.client = client;
        this.tags = Tags.of("cluster", client.clusterId(), "agent", client.agentId());
    }

    @Override
    public void bindTo(MeterRegistry r) {
        BeatClient c = client;
        FunctionTimer.builder("backbeat.client.phase.processing", c, x -> x.stats().callbacksRun(),
                x -> x.stats().callbackNanosTotal(), TimeUnit.NANOSECONDS).tags(tags)
                .description("phase callback duration").register(r);
        Gauge.builder("backbeat.client.phase.processing.max", c, x -> x.stats().callbackNanosMax() / 1e9).tags(tags)
                .baseUnit("seconds").register(r);
        Gauge.builder("backbeat.client.phase.completion.rate", c, x -> 1.0 - missRate(x.stats())).tags(tags)
                .register(r);
        Gauge.builder("backbeat.client.deadline.miss.rate", c, x -> missRate(x.stats())).tags(tags).register(r);
        FunctionCounter.builder("backbeat.client.tasks", c, x -> x.stats().tasksCounted()).tags(tags).register(r);
        FunctionCounter.builder("backbeat.client.frames.accepted", c, x -> x.stats().framesAccepted()).tags(tags)
                .register(r);
        for (DropReason reason : DropReason.values()) {
            FunctionCounter.builder("backbeat.client.frames.dropped", c, x -> x.stats().dropped(reason))
                    .tags(tags.and("reason", reason.name().toLowerCase(java.util.Locale.ROOT))).register(r);
        }
        FunctionCounter.builder("backbeat.client.phases.derived", c, x -> x.stats().phasesDerived()).tags(tags)
                .register(r);
        FunctionCounter.builder("backbeat.client.listener.errors", c, x -> x.stats().listenerErrors()).tags(tags)
                .register(r);
        FunctionCounter.builder("backbeat.client.skipped.busy", c, x -> x.stats().skippedBusy()).tags(tags)
                .register(r);
        Gauge.builder("backbeat.client.degraded", c, x -> x.stats().degraded() ? 1 : 0).tags(tags).register(r);
        Gauge.builder("backbeat.client.tempo.bpm", c, x -> x.stats().tempoBpm()).tags(tags).register(r);
        Gauge.builder("backbeat.client.tempo.drift", c, x -> x.stats().lastCorrectionNanos() / 1e9).tags(tags)
                .baseUnit("seconds").register(r);
        Gauge.builder("backbeat.client.frame.lag", c, x -> x.stats().lastFrameLagNanos() / 1e9).tags(tags)
                .baseUnit("seconds").register(r);
        io.micrometer.core.instrument.Timer late = lagHistogram("backbeat.client.frame.late",
                "accepted frames' arrival minus their phase start, frames that came at or after it").register(r);
        io.micrometer.core.instrument.Timer early = lagHistogram("backbeat.client.frame.early",
                "how long before their phase start accepted frames came (the pulse's clock ahead of this one)")
                .register(r);
        c.addFrameLagObserver(lag -> (lag >= 0 ? late : early).record(Math.abs(lag), TimeUnit.NANOSECONDS));
    }

    /** Share of phase callbacks still running when their phase ended (0 before any ran). */
    private static double missRate(ClientStats s) {
        return s.callbacksRun() == 0 ? 0.0 : s.callbacksPastDeadline() / (double) s.callbacksRun();
    }

    private io.micrometer.core.instrument.Timer.Builder lagHistogram(String name, String description) {
        return io.micrometer.core.instrument.Timer.builder(name).description(description).tags(tags)
                .serviceLevelObjectives(java.util.stream.LongStream.of(100, 250, 500, 1_000, 2_000, 5_000, 10_000,
                                20_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000)
                        .mapToObj(java.time.Duration::ofNanos).map(d -> d.multipliedBy(1_000))
                        .toArray(java.time.Duration[]::new));
    }
}
