package io.backbeat.testkit.client;

import io.backbeat.testkit.VirtualClock;
import io.backbeat.api.ClaimState;
import io.backbeat.api.BeatFrame;
import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.DispatchMode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The client driven deterministically by virtual time and an in-memory pulse. */
class InMemoryPulseTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

    @Test
    void anHourOfBeatsRunsInMillisecondsWithEveryPhaseOnce() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 120);
        RecordingListener rec = new RecordingListener();
        long started = System.nanoTime();
        try (BeatClient client = pulse.clientBuilder().build()) {
            client.addListener(rec);
            clock.advance(Duration.ofMinutes(60));
        }
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        List<RecordingListener.Seen> seen = rec.phases();
        assertThat(seen).hasSize(120 * 60 * 3);
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        Timeline grid = Timeline.of(pulse.descriptor());
        for (RecordingListener.Seen s : seen) {
            assertThat(s.degraded()).isFalse();
            assertThat(s.deadlineEpochNanos()).isEqualTo(grid.deadlineNanos(s.beatIndex(), s.phaseIndex()));
        }
        System.out.println("one virtual hour at 120 BPM (21600 phases) took " + tookMs + " ms");
        assertThat(tookMs).isLessThan(60_000);
    }

    @Test
    void silenceDegradesOnTheSameGridAndRecoversWithoutDuplicates() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 60);
        RecordingListener rec = new RecordingListener();
        try (BeatClient client = pulse.clientBuilder().grace(Duration.ofMillis(100)).build()) {
            client.addListener(rec);
            clock.advance(Duration.ofSeconds(3));
            pulse.silence();
            clock.advance(Duration.ofSeconds(10));
            assertThat(client.stats().degraded()).isTrue();
            pulse.failover(2, "pulse-2");
            pulse.resume();
            clock.advance(Duration.ofSeconds(3));
            assertThat(client.stats().degraded()).isFalse();
            assertThat(client.stats().lastCorrectionNanos()).isZero();
        }
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        assertThat(rec.phases()).hasSize(16 * 3);
        long derived = rec.phases().stream().filter(RecordingListener.Seen::degraded).count();
        assertThat(derived).isEqualTo(30); // 10 s at 60 BPM: exactly the silent phases
        assertThat(rec.notices()).containsSubsequence("degraded", "recovered");
        assertThat(rec.notices()).contains("leader pulse-2 2");
        assertThat(rec.phases().get(rec.phases().size() - 1).term()).isEqualTo(2);
    }

    @Test
    void tempoChangeAppliesAtTheNextDownbeatAndListenersHearOfIt() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 120);
        RecordingListener rec = new RecordingListener();
        try (BeatClient client = pulse.clientBuilder().build()) {
            client.addListener(rec);
            clock.advance(Duration.ofMillis(2_600)); // beat 5
            pulse.changeTempo(126);
            clock.advance(Duration.ofSeconds(5));
        }
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        for (RecordingListener.Seen s : rec.phases()) {
            assertThat(s.tempoBpm()).as("beat " + s.beatIndex()).isEqualTo(s.beatIndex() < 8 ? 120.0 : 126.0);
        }
        assertThat(rec.notices()).contains("tempo 120.0 -> 126.0");
    }

    @Test
    void gridModeAndStatusClaims() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 120);
        RecordingListener rec = new RecordingListener() {
            @Override
            protected void afterPhase(BeatContext ctx) {
                ctx.report(ClaimState.COMPLETED, null);
            }
        };
        try (BeatClient client = pulse.clientBuilder().dispatchMode(DispatchMode.GRID).agentId("svc-1").build()) {
            client.addListener(rec);
            clock.advance(Duration.ofSeconds(2));
        }
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        assertThat(rec.phases()).hasSizeGreaterThanOrEqualTo(11);
        assertThat(pulse.claims()).hasSize(rec.phases().size());
        assertThat(pulse.claims()).allMatch(c -> c.agentId().equals("svc-1") && c.state() == ClaimState.COMPLETED);
    }

    @Test
    void framesFollowEachOtherOnTheirGridAcrossATempoChangeAndAFailover() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        long start = clock.epochNanos();
        InMemoryPulse pulse = InMemoryPulse.start(clock, new TimelineDescriptor("svc", start - 1_300_000_000L, 16, 120,
                4, TimelineDescriptor.DEFAULT_PHASES, 1, "pulse-1", null));
        clock.advance(Duration.ofSeconds(3));
        pulse.changeTempo(132);
        clock.advance(Duration.ofSeconds(2));
        pulse.failover(2, "pulse-2");
        clock.advance(Duration.ofSeconds(3));
        List<BeatFrame> frames = pulse.published();
        Timeline grid = Timeline.of(pulse.descriptor()); // the change is part of it, its downbeat passed
        GridPosition expected = grid.nextPhaseAfter(start);
        assertThat(expected.beatIndex()).isEqualTo(18);
        for (BeatFrame f : frames) {
            assertThat(f.beatIndex()).isEqualTo(expected.beatIndex());
            assertThat(f.phase()).isEqualTo(expected.phase());
            assertThat(f.deadlineEpochNanos()).isEqualTo(expected.deadlineNanos());
            assertThat(f.tempoBpm()).isEqualTo(expected.tempoBpm());
            expected = grid.following(expected);
        }
        assertThat(expected.phaseStartNanos()).as("every phase up to now was published")
                .isGreaterThan(clock.epochNanos());
        assertThat(frames).anyMatch(f -> f.tempoBpm() == 132.0);
        assertThat(frames.get(frames.size() - 1).term()).isEqualTo(2);
    }
}
