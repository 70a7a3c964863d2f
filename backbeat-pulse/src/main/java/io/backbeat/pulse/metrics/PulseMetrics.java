package io.backbeat.pulse.metrics;

import io.backbeat.api.ClaimState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pulse's meters, with the seed's Prometheus names: {@code backbeat_beat_publish_duration_seconds},
 * {@code backbeat_pulse_jitter_seconds}, {@code backbeat_timer_drift_ratio}, {@code backbeat_is_leader},
 * {@code backbeat_beats_total}, {@code backbeat_tempo_change_errors_total},
 * {@code backbeat_leadership_changes_total}, {@code backbeat_beat_delivery_latency_seconds}, plus
 * skipped frames, term, tempo and status claims. Thread-safe.
 */
public final class PulseMetrics {
    private final Timer publishDuration;
    private final Timer jitter;
    private final Timer deliveryLatency;
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
    private volatile double tempo;
    private volatile double drift;

    public PulseMetrics(MeterRegistry registry) {
        this.registry = registry;
        publishDuration = Timer.builder("backbeat.beat.publish.duration")
                .description("time to encode and hand a BeatFrame to NATS").publishPercentiles(0.5, 0.95, 0.99)
                .register(registry);
        jitter = Timer.builder("backbeat.pulse.jitter")
                .description("publish instant minus the grid's phase start (BACKBEAT-PER-002)")
                .publishPercentiles(0.5, 0.95, 0.99).register(registry);
        deliveryLatency = Timer.builder("backbeat.beat.delivery.latency")
                .description("frame arrival at this node minus the grid's phase start (BACKBEAT-PER-001)")
                .publishPercentiles(0.5, 0.95, 0.99).register(registry);
        beats = Counter.builder("backbeat.beats").description("BeatFrames published by this node").register(registry);
        skipped = Counter.builder("backbeat.frames.skipped")
                .description("phases not published because they had ended (pause, outage)").register(registry);
        tempoErrors = Counter.builder("backbeat.tempo.change.errors").description("refused or failed tempo changes")
                .register(registry);
        leadershipChanges = Counter.builder("backbeat.leadership.changes").description("leadership or term changes seen")
                .register(registry);
        fenced = Counter.builder("backbeat.frames.fenced")
                .description("frames this node refused to publish because a majority had not confirmed its "
                        + "leadership within the lease (a stalled or cut-off leader)").register(registry);
        malformedClaims = Counter.builder("backbeat.status.claims.malformed").description("undecodable status claims")
                .register(registry);
        for (ClaimState s : ClaimState.values()) {
            claims.put(s, Counter.builder("backbeat.status.claims").tag("state", s.wireName())
                    .description("status claims received").register(registry));
        }
        Gauge.builder("backbeat.is.leader", leader, AtomicLong::get).description("1 while this node leads")
                .register(registry);
        Gauge.builder("backbeat.term", term, AtomicLong::get).description("highest term seen").register(registry);
        Gauge.builder("backbeat.tempo.bpm", this, m -> m.tempo).description("tempo in force").register(registry);
        Gauge.builder("backbeat.timer.drift.ratio", this, m -> m.drift)
                .description("mean |frame arrival - grid| / phase length over the last frames (BACKBEAT-PER-003)")
                .register(registry);
    }

    public void published(long publishNanos, long jitterNanos) {
        beats.increment();
        publishDuration.record(Duration.ofNanos(publishNanos));
        jitter.record(Duration.ofNanos(Math.abs(jitterNanos)));
    }

    public void skipped(long n) {
        skipped.increment(n);
    }

    public void delivered(long latencyNanos) {
        deliveryLatency.record(Duration.ofNanos(Math.max(0, latencyNanos)));
    }

    /**
     * A frame on the beat subject that this node's monitoring did not use ({@code reason}: malformed,
     * foreign, off_grid, not_leader, implausible, duplicate): only frames a client would accept
     * feed drift and delivery figures.
     */
    public void ignoredFrame(String reason) {
        ignoredFrames.computeIfAbsent(reason, r -> Counter.builder("backbeat.frames.ignored").tag("reason", r)
                .description("frames on the beat subject not used for monitoring").register(registry)).increment();
    }

    /** A status claim not counted ({@code reason}: out_of_window, duplicate, full). */
    public void droppedClaim(String reason) {
        droppedClaims.computeIfAbsent(reason, r -> Counter.builder("backbeat.status.claims.dropped").tag("reason", r)
                .description("status claims not counted").register(registry)).increment();
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

    public void leadership(boolean isLeader, long newTerm) {
        leader.set(isLeader ? 1 : 0);
        term.set(newTerm);
        leadershipChanges.increment();
    }

    public void tempo(double bpm) {
        tempo = bpm;
    }

    public void driftRatio(double ratio) {
        drift = ratio;
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

    public double jitterP95Millis() {
        return jitter.takeSnapshot().percentileValues().length > 1
                ? jitter.takeSnapshot().percentileValues()[1].value(java.util.concurrent.TimeUnit.MILLISECONDS) : 0;
    }
}
