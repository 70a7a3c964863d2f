package io.backbeat.pulse.metrics;

import io.backbeat.api.ClaimState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pulse's meters, with the Go pulse's Prometheus names where it had them. Every node exports the same
 * set; {@code docs/operations.md} (Metrics) gives each one's exact meaning, unit and sign.
 *
 * <p>Delivery latency and publish jitter are <b>signed</b> histograms ({@code _bucket} series with
 * bounds below zero, so early frames show and quantiles aggregate across nodes); Micrometer's own
 * distribution summaries drop negative values, so these two are Prometheus client histograms,
 * registered on the {@link PrometheusMeterRegistry}'s registry when given one (and on a private one
 * otherwise). Thread-safe.
 */
public final class PulseMetrics {
    /** Bucket bounds of the delivery-latency histogram, seconds (negative: the frame came early). */
    public static final double[] LATENCY_BOUNDS = {-1, -0.25, -0.1, -0.05, -0.02, -0.01, -0.005, -0.002, -0.001, 0,
            0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    /** Bucket bounds of the publish-jitter histogram, seconds (negative: published before the phase start). */
    public static final double[] JITTER_BOUNDS = {-0.01, -0.002, -0.001, -0.0005, -0.0001, -0.00002, 0, 0.00002,
            0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1};
    private final Timer publishDuration;
    private final io.prometheus.metrics.core.datapoints.DistributionDataPoint jitter;
    private final io.prometheus.metrics.core.datapoints.DistributionDataPoint deliveryLatency;
    private final java.util.concurrent.atomic.LongAdder superseded = new java.util.concurrent.atomic.LongAdder();
    private final Counter beats;
    private final Counter skipped;
    private final Counter tempoErrors;
    private final Counter leadershipChanges;
    private final Counter malformedClaims;
    private final Counter fenced;
    private final MeterRegistry registry;
    private final Map<String, Counter> ignoredFrames = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Counter> droppedClaims = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<ClaimState, Counter> claims = new EnumMap<>(ClaimState.class);
    private final AtomicLong leader = new AtomicLong();
    private final AtomicLong term = new AtomicLong();

    /** Meters without cluster and node labels on the two signed histograms (tests). */
    public PulseMetrics(MeterRegistry registry) {
        this(registry, "", "");
    }

    /**
     * @param cluster the {@code cluster} label of the signed histograms (Micrometer's meters get it from
     *                the registry's common tags)
     * @param node    their {@code node} label
     */
    public PulseMetrics(MeterRegistry registry, String cluster, String node) {
        this.registry = registry;
        io.prometheus.metrics.model.registry.PrometheusRegistry prom = registry instanceof PrometheusMeterRegistry p
                ? p.getPrometheusRegistry() : new io.prometheus.metrics.model.registry.PrometheusRegistry();
        publishDuration = Timer.builder("backbeat.beat.publish.duration")
                .description("time to encode a BeatFrame and write it to the frame connection's socket")
                .serviceLevelObjectives(Duration.ofNanos(10_000), Duration.ofNanos(20_000), Duration.ofNanos(50_000),
                        Duration.ofNanos(100_000), Duration.ofNanos(200_000), Duration.ofNanos(500_000),
                        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
                        Duration.ofMillis(50))
                .register(registry);
        jitter = io.prometheus.metrics.core.metrics.Histogram.builder().name("backbeat_pulse_jitter_seconds")
                .help("publish instant on the leader minus the grid's phase start, seconds, signed (negative = "
                        + "early); BACKBEAT-PER-002")
                .labelNames("cluster", "node").withoutExemplars().classicOnly().classicUpperBounds(JITTER_BOUNDS).register(prom)
                .labelValues(cluster, node);
        deliveryLatency = io.prometheus.metrics.core.metrics.Histogram.builder()
                .name("backbeat_beat_delivery_latency_seconds")
                .help("arrival of the leader's frame at this node minus the grid's phase start on this node's clock, "
                        + "seconds, signed (negative = the frame came early: a clock ahead of this one); "
                        + "BACKBEAT-PER-001")
                .labelNames("cluster", "node").withoutExemplars().classicOnly().classicUpperBounds(LATENCY_BOUNDS).register(prom)
                .labelValues(cluster, node);
        beats = Counter.builder("backbeat.beats").description("BeatFrames published by this node").register(registry);
        skipped = Counter.builder("backbeat.frames.skipped")
                .description("phases not published because they had ended (pause, outage)").register(registry);
        tempoErrors = Counter.builder("backbeat.tempo.change.errors").description("refused or failed tempo changes")
                .register(registry);
        leadershipChanges = Counter.builder("backbeat.leadership.changes")
                .description("changes of leader seen by this node: +1 each time the leader it knows becomes another "
                        + "node or the same node in a new term (the first leader it learns of is not a change)")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("backbeat.frames.superseded", superseded,
                        java.util.concurrent.atomic.LongAdder::sum)
                .description("frames seen on the beat subject from a term older than the replicated leadership "
                        + "record: what a client drops as stale (a leader that missed its own replacement)")
                .register(registry);
        fenced = Counter.builder("backbeat.frames.fenced")
                .description("frames this node refused to publish although it believed it led: no leader lease "
                        + "(stalled or cut off), a stall quarantine, or a clock not trusted").register(registry);
        malformedClaims = Counter.builder("backbeat.status.claims.malformed").description("undecodable status claims")
                .register(registry);
        for (ClaimState s : ClaimState.values()) {
            claims.put(s, Counter.builder("backbeat.status.claims").tag("state", s.wireName())
                    .description("status claims received").register(registry));
        }
        // every reason's series exists from the start (at 0), so rates and alerts work before the first one
        for (String reason : List.of("malformed", "foreign", "off_grid", "not_leader", "implausible", "duplicate")) {
            ignoredFrame(reason, 0);
        }
        for (String reason : List.of("out_of_window", "duplicate", "full")) {
            droppedClaim(reason, 0);
        }
        Gauge.builder("backbeat.is.leader", leader, AtomicLong::get).description("1 while this node leads, else 0")
                .register(registry);
        Gauge.builder("backbeat.term", term, AtomicLong::get).description("highest consensus term this node has seen")
                .register(registry);
    }

    /** Registers a gauge on this node's registry (for values the node computes on demand). */
    public <T> void gauge(String name, String description, T obj, java.util.function.ToDoubleFunction<T> f) {
        Gauge.builder(name, obj, f).description(description).strongReference(true).register(registry);
    }

    /** Registers a counter read from {@code obj} on this node's registry. */
    public <T> void functionCounter(String name, String description, T obj, java.util.function.ToDoubleFunction<T> f) {
        io.micrometer.core.instrument.FunctionCounter.builder(name, obj, f).description(description).register(registry);
    }

    /** A frame of a term older than the replicated leadership record was seen on the wire. */
    public void superseded() {
        superseded.increment();
    }

    /** Superseded-term frames seen so far. */
    public long supersededFrames() {
        return superseded.sum();
    }

    /** Leadership changes counted so far. */
    public long leadershipChanges() {
        return (long) leadershipChanges.count();
    }

    public void published(long publishNanos, long jitterNanos) {
        beats.increment();
        publishDuration.record(Duration.ofNanos(publishNanos));
        jitter.observe(jitterNanos / 1e9);
    }

    public void skipped(long n) {
        skipped.increment(n);
    }

    /** A frame from the leader arrived {@code latencyNanos} after (negative: before) its phase start. */
    public void delivered(long latencyNanos) {
        deliveryLatency.observe(latencyNanos / 1e9);
    }

    /**
     * A frame on the beat subject that this node's monitoring did not use ({@code reason}: malformed,
     * foreign, off_grid, not_leader, implausible, duplicate): only frames a client would accept
     * feed drift and delivery figures.
     */
    public void ignoredFrame(String reason) {
        ignoredFrame(reason, 1);
    }

    private void ignoredFrame(String reason, int n) {
        ignoredFrames.computeIfAbsent(reason, r -> Counter.builder("backbeat.frames.ignored").tag("reason", r)
                .description("frames on the beat subject not used for monitoring").register(registry)).increment(n);
    }

    /** A status claim not counted ({@code reason}: out_of_window, duplicate, full). */
    public void droppedClaim(String reason) {
        droppedClaim(reason, 1);
    }

    private void droppedClaim(String reason, int n) {
        droppedClaims.computeIfAbsent(reason, r -> Counter.builder("backbeat.status.claims.dropped").tag("reason", r)
                .description("status claims not counted").register(registry)).increment(n);
    }

    /** Claims dropped for {@code reason} so far. */
    public long droppedClaims(String reason) {
        Counter c = droppedClaims.get(reason);
        return c == null ? 0 : (long) c.count();
    }

    /** Frames ignored for {@code reason} so far. */
    public long ignoredFrames(String reason) {
        Counter c = ignoredFrames.get(reason);
        return c == null ? 0 : (long) c.count();
    }

    public void fenced() {
        fenced.increment();
    }

    public long framesFenced() {
        return (long) fenced.count();
    }

    public void tempoError() {
        tempoErrors.increment();
    }

    /** This node's role and the highest term it has seen. */
    public void leadership(boolean isLeader, long newTerm) {
        leader.set(isLeader ? 1 : 0);
        term.accumulateAndGet(newTerm, Math::max);
    }

    /** The leader this node knows changed (another node, or a new term). */
    public void leaderChanged() {
        leadershipChanges.increment();
    }

    public void claim(ClaimState s) {
        claims.get(s).increment();
    }

    public void malformedClaim() {
        malformedClaims.increment();
    }

    public long beatsPublished() {
        return (long) beats.count();
    }

    public long malformedClaims() {
        return (long) malformedClaims.count();
    }

    public long framesSkipped() {
        return (long) skipped.count();
    }
}
