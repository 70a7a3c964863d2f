package io.backbeat.client.it;

import io.backbeat.api.PendingTempo;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.client.ClientStats;
import io.backbeat.client.DispatchMode;
import io.backbeat.testkit.NatsTestServer;
import io.backbeat.testkit.TestPulse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tempo changes as a client sees them (issue #14, item 1): the frames announce the pending change
 * ({@code next_tempo_*}), so the client switches exactly at its downbeat: no frame dropped as
 * off-grid, the new tempo and phase length on the first callback, {@code onTempoChange} before it,
 * also in GRID mode and while degraded; through three changes and a NATS outage nothing is dropped,
 * missed, repeated or backwards.
 */
class TempoChangeClientTest {
    private NatsTestServer nats;
    private TestPulse pulse;
    private BeatClient client;

    /** What a listener saw, in order: phases and tempo changes. */
    record Event(boolean tempoChange, double newBpm, long beat, int phaseIndex, double bpm, long phaseNanos,
                 long phaseStartNanos, boolean degraded, boolean late) {
    }

    static final class Log implements BeatListener {
        final List<Event> events = new CopyOnWriteArrayList<>();

        @Override
        public void onPhase(BeatContext ctx) {
            events.add(new Event(false, 0, ctx.beatIndex(), ctx.phaseIndex(), ctx.tempoBpm(), ctx.phaseDuration().toNanos(),
                    io.backbeat.api.EpochNanos.of(ctx.phaseStart()), ctx.degraded(), ctx.late()));
        }

        @Override
        public void onTempoChange(double oldBpm, double newBpm) {
            events.add(new Event(true, newBpm, 0, 0, 0, 0, 0, false, false));
        }

        List<Event> phases() {
            return events.stream().filter(e -> !e.tempoChange()).toList();
        }

        long lastBeat() {
            List<Event> p = phases();
            return p.isEmpty() ? Long.MIN_VALUE : p.get(p.size() - 1).beat();
        }
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (pulse != null) {
            pulse.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    /** Announces {@code bpm} at the downbeat after the next one; returns the descriptor with it pending. */
    private TimelineDescriptor change(double bpm) {
        long now = System.currentTimeMillis() * 1_000_000L;
        TimelineDescriptor d = pulse.descriptor().settle(now);
        Timeline t = Timeline.of(d);
        long at = t.downbeatOf(t.beatIndexAt(now)) + 2L * d.beatsPerBar();
        TimelineDescriptor next = d.withPending(new PendingTempo(bpm, at));
        pulse.setDescriptor(next);
        return next;
    }

    @ParameterizedTest
    @EnumSource(DispatchMode.class)
    void threeTempoChangesAndANatsOutage(DispatchMode mode) throws Exception {
        nats = NatsTestServer.start();
        pulse = TestPulse.start(nats.url(), "tempo-" + mode.name().toLowerCase(), 240);
        Log log = new Log();
        client = BeatClient.builder(pulse.descriptor().clusterId()).natsServers(nats.url()).dispatchMode(mode).build();
        client.addListener(log);
        await().atMost(Duration.ofSeconds(15)).until(() -> log.phases().size() >= 6);

        List<TimelineDescriptor> grids = new ArrayList<>();
        grids.add(pulse.descriptor());
        for (double bpm : new double[]{264, 237.6, 249.48}) {
            TimelineDescriptor d = change(bpm);
            grids.add(d);
            long at = d.pending().atBeatIndex();
            await().atMost(Duration.ofSeconds(20)).until(() -> log.lastBeat() >= at + 1);
        }
        // a NATS outage, then the beat again
        nats.stop();
        Thread.sleep(1500);
        nats.restart();
        int before = log.phases().size();
        await().atMost(Duration.ofSeconds(20)).until(() -> log.phases().size() >= before + 12
                && !client.stats().degraded());

        ClientStats st = client.stats();
        System.out.printf("tempo changes (%s): %d phases, %d derived, drops %s, missed %d, announcements %d%n", mode,
                log.phases().size(), st.phasesDerived(), st.dropped(), st.phasesMissed(), st.tempoAnnouncements());
        assertThat(st.droppedTotal()).as("frames dropped: %s", st.dropped()).isZero();
        assertThat(st.phasesMissed()).as("phases missed").isZero();
        assertThat(st.tempoAnnouncements()).as("pending changes learned from frames").isGreaterThanOrEqualTo(3);

        List<Event> phases = log.phases();
        for (int i = 1; i < phases.size(); i++) {
            Event a = phases.get(i - 1);
            Event b = phases.get(i);
            Timeline g = gridOf(grids, b.beat());
            assertThat(g.following(g.position(a.beat(), a.phaseIndex())).beatIndex() == b.beat()
                    && g.following(g.position(a.beat(), a.phaseIndex())).phaseIndex() == b.phaseIndex())
                    .as("phase %d after %d/%d: beat %d/%d (no gap, repeat or step back)", i, a.beat(), a.phaseIndex(),
                            b.beat(), b.phaseIndex()).isTrue();
        }
        for (Event e : phases) {
            Timeline g = gridOf(grids, e.beat());
            assertThat(e.bpm()).as("tempo of beat %d", e.beat()).isEqualTo(g.tempoBpmOf(e.beat()));
            assertThat(e.phaseNanos()).as("phase length of beat %d/%d", e.beat(), e.phaseIndex())
                    .isEqualTo(g.deadlineNanos(e.beat(), e.phaseIndex()) - g.phaseStartNanos(e.beat(), e.phaseIndex()));
            assertThat(e.late()).isFalse();
        }
        // onTempoChange comes right before the first phase of each new tempo
        List<Event> all = log.events;
        int changes = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).tempoChange()) {
                changes++;
                Event next = all.get(i + 1);
                assertThat(next.tempoChange()).isFalse();
                assertThat(next.bpm()).as("the phase after onTempoChange(%s)", all.get(i).newBpm())
                        .isEqualTo(all.get(i).newBpm());
                assertThat(next.phaseIndex()).isZero();
                assertThat(gridOf(grids, next.beat()).isDownbeat(next.beat())).isTrue();
            }
        }
        assertThat(changes).isEqualTo(3);
    }

    @Test
    void aClientDegradedAcrossAChangeDerivesTheNewGrid() throws Exception {
        nats = NatsTestServer.start();
        pulse = TestPulse.start(nats.url(), "tempo-degraded", 240);
        Log log = new Log();
        client = BeatClient.builder("tempo-degraded").natsServers(nats.url()).build();
        client.addListener(log);
        await().atMost(Duration.ofSeconds(15)).until(() -> log.phases().size() >= 6);
        TimelineDescriptor d = change(264);
        long at = d.pending().atBeatIndex();
        Timeline g = Timeline.of(d);
        // the announcement reaches the client with the next frame; then the pulse goes silent
        await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().tempoAnnouncements() >= 1);
        pulse.pause();
        await().atMost(Duration.ofSeconds(20)).until(() -> log.lastBeat() >= at + 2);
        pulse.resume();
        await().atMost(Duration.ofSeconds(10)).until(() -> client.stats().recoveries() >= 1);
        List<Event> derivedAfter = log.phases().stream().filter(e -> e.degraded() && e.beat() >= at).toList();
        assertThat(derivedAfter).as("phases derived after the change's downbeat").isNotEmpty();
        for (Event e : derivedAfter) {
            assertThat(e.bpm()).isEqualTo(264);
            assertThat(e.phaseStartNanos()).as("derived start of %d/%d", e.beat(), e.phaseIndex())
                    .isEqualTo(g.phaseStartNanos(e.beat(), e.phaseIndex()));
        }
        assertThat(Math.abs(client.stats().lastCorrectionNanos())).as("correction at recovery").isLessThan(1_000_000L);
        assertThat(client.stats().phasesMissed()).isZero();
    }

    /** The grid a beat is on: the descriptor of the change whose segment holds it. */
    private static Timeline gridOf(List<TimelineDescriptor> grids, long beat) {
        int k = 1;
        for (int i = 1; i < grids.size() - 1; i++) {
            if (grids.get(i).pending().atBeatIndex() <= beat) {
                k = i + 1;
            }
        }
        return Timeline.of(grids.get(Math.min(k, grids.size() - 1)));
    }
}
