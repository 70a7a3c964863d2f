package io.backbeat.pulse;

import io.backbeat.api.BeatPhase;
import io.backbeat.api.BeatFrame;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.hlc.HybridLogicalClock;
import io.backbeat.consensus.TimelineCommand;
import io.backbeat.pulse.metrics.PulseMetrics;
import io.backbeat.testkit.VirtualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The emitter on the test kit's virtual clock: an hour of beats in seconds, every frame exactly at
 * its grid instant, and each fence (leadership, lease, clock, NATS) tested at an exact moment.
 */
class BeatEmitterVirtualTimeTest {
    private static final String CLUSTER = "virtual-emitter";
    private static final List<String> PHASES = List.of("plan", "execute", "review");

    private record Sent(BeatFrame frame, long epochNanos) {
    }

    private final VirtualClock clock = VirtualClock.startingAt(Instant.parse("2030-01-01T00:00:00Z"));
    private final InMemoryConsensus consensus = new InMemoryConsensus("v1");
    private final PulseMetrics metrics = new PulseMetrics(new SimpleMeterRegistry());
    private final List<Sent> sent = new ArrayList<>();
    private final AtomicReference<String> clockProblem = new AtomicReference<>();
    private final AtomicReference<BeatPhase> highestSeen = new AtomicReference<>();
    private final AtomicInteger handOvers = new AtomicInteger();
    private final AtomicInteger vanished = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong unconfirmedSince = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean connected = true;
    private BeatEmitter emitter;
    private TimelineDescriptor grid;

    @BeforeEach
    void start() throws Exception {
        long anchor = clock.epochNanos() + 1_000_000_000L;
        grid = consensus.submit(new TimelineCommand.Initialize(TimelineDescriptor.initial(CLUSTER, anchor, 120, 4,
                PHASES))).get();
        consensus.submit(new TimelineCommand.AssumeLeadership(1, "v1")).get();
        consensus.set(true, 1, "v1");
        BeatEmitter.Sink sink = new BeatEmitter.Sink() {
            @Override
            public boolean connected() {
                return connected;
            }

            @Override
            public String status() {
                return connected ? "CONNECTED" : "DISCONNECTED";
            }

            @Override
            public void publish(byte[] frame) {
                synchronized (sent) {
                    sent.add(new Sent(BackbeatCodec.decodeFrame(frame), clock.epochNanos()));
                }
            }
        };
        BeatEmitter.Host host = new BeatEmitter.Host() {
            @Override
            public String clockProblem() {
                return clockProblem.get();
            }

            @Override
            public String holdReason() {
                return null;
            }

            @Override
            public long highestTerm() {
                return 1;
            }

            @Override
            public BeatPhase highestSeen() {
                return highestSeen.get();
            }

            @Override
            public void published(long beat, int phase) {
                highestSeen.set(new BeatPhase(beat, phase));
            }

            @Override
            public void handOver(String why) {
                handOvers.incrementAndGet();
            }

            @Override
            public long unconfirmedSinceNanos() {
                return unconfirmedSince.get();
            }

            @Override
            public void framesVanish(String why) {
                vanished.incrementAndGet();
            }
        };
        HybridLogicalClock hlc = HybridLogicalClock.builder("v1").physicalClock(() -> clock.epochNanos() / 1_000_000)
                .build();
        emitter = new BeatEmitter(CLUSTER, "v1", consensus, sink, metrics, clock, hlc, host, 120, 4, PHASES);
        emitter.start();
    }

    @AfterEach
    void stop() {
        emitter.close();
    }

    private List<Sent> sent() {
        synchronized (sent) {
            return List.copyOf(sent);
        }
    }

    /** Phases of the grid whose start lies in [from, to]. */
    private long phasesBetween(long from, long to) {
        Timeline t = Timeline.of(grid);
        var p = t.nextPhaseAfter(Math.max(from, grid.anchorTimeNanos()) - 1);
        long n = 0;
        while (p.phaseStartNanos() <= to) {
            n++;
            p = t.following(p);
        }
        return n;
    }

    private static void assertConsecutiveAndOnTheInstant(List<Sent> got, TimelineDescriptor d) {
        Timeline t = Timeline.of(d);
        for (int i = 0; i < got.size(); i++) {
            Sent s = got.get(i);
            int p = t.phaseIndexOf(s.frame().phase());
            assertThat(s.epochNanos()).as("published exactly at its grid instant: %s", s.frame())
                    .isEqualTo(t.phaseStartNanos(s.frame().beatIndex(), p));
            if (i > 0) {
                BeatFrame prev = got.get(i - 1).frame();
                var expected = t.following(t.position(prev.beatIndex(), t.phaseIndexOf(prev.phase())));
                assertThat(s.frame().beatIndex() * 3 + p).as("no pair repeated or skipped")
                        .isEqualTo(expected.beatIndex() * 3 + expected.phaseIndex());
            }
        }
    }

    @Test
    void anHourOfBeatsEveryFrameOnItsInstantNoneTwiceNoneMissing() {
        long from = clock.epochNanos();
        long t0 = System.nanoTime();
        clock.advance(Duration.ofHours(1));
        long realMs = (System.nanoTime() - t0) / 1_000_000;
        List<Sent> got = sent();
        System.out.printf("virtual emitter: %d frames for one virtual hour at 120 BPM in %d ms of real time%n",
                got.size(), realMs);
        assertThat((long) got.size()).isEqualTo(phasesBetween(from, clock.epochNanos()));
        assertThat((long) got.size()).isGreaterThan(21_500);
        assertConsecutiveAndOnTheInstant(got, grid);
        assertThat(metrics.framesSkipped()).isZero();
        assertThat(metrics.framesFenced()).isZero();
    }

    @Test
    void withoutALeaseNothingIsPublishedAndEveryRefusalIsCounted() {
        clock.advance(Duration.ofSeconds(10));
        int before = sent().size();
        consensus.lease(0);
        long cut = clock.epochNanos();
        clock.advance(Duration.ofSeconds(10));
        long end = clock.epochNanos();
        assertThat(sent()).hasSize(before);
        // every phase of the 10 s was refused (the one whose frame was planned before the cut may go out)
        assertThat(metrics.framesFenced()).isBetween(phasesBetween(cut, end) - 1, phasesBetween(cut, end));
        consensus.lease(Long.MAX_VALUE);
        clock.advance(Duration.ofSeconds(10));
        assertThat(sent().size()).isGreaterThan(before + 50);
        assertConsecutiveAndOnTheInstant(sent().subList(before, sent().size()), grid);
    }

    @Test
    void aSkewedClockOrALostNatsConnectionHandsOverAndPublishesNothingLate() {
        clock.advance(Duration.ofSeconds(5));
        int before = sent().size();
        clockProblem.set("clock offset +2000.0 ms to the cluster exceeds the bound of 100 ms");
        clock.advance(Duration.ofSeconds(5));
        assertThat(sent()).as("a skewed leader publishes nothing").hasSize(before);
        assertThat(handOvers.get()).isPositive();
        clockProblem.set(null);

        handOvers.set(0);
        clock.advance(Duration.ofSeconds(5));
        int reconnected = sent().size();
        connected = false;
        clock.advance(Duration.ofSeconds(2));
        assertThat(sent()).hasSize(reconnected);
        assertThat(metrics.framesSkipped()).as("phases without NATS are counted as skipped").isPositive();
        assertThat(handOvers.get()).as("a leader without NATS for longer than a phase hands over").isPositive();
        connected = true;
        clock.advance(Duration.ofSeconds(5));
        assertThat(sent().size()).isGreaterThan(reconnected);
        assertConsecutiveAndOnTheInstant(sent().subList(reconnected, sent().size()), grid);
    }

    @Test
    void losingLeadershipStopsAtOnceAndANewTermStartsAfterTheHighestPairSeen() {
        clock.advance(Duration.ofSeconds(5));
        consensus.set(false, 1, "");
        int before = sent().size();
        clock.advance(Duration.ofSeconds(3));
        assertThat(sent()).hasSize(before);
        // another leader published 2 s ahead meanwhile (its clock was fast): this node, leading again, starts after it
        Timeline t = Timeline.of(grid);
        var ahead = t.positionAt(clock.epochNanos() + 2_000_000_000L);
        highestSeen.set(new BeatPhase(ahead.beatIndex(), ahead.phaseIndex()));
        consensus.submit(new TimelineCommand.AssumeLeadership(2, "v1")).join();
        consensus.set(true, 2, "v1");
        clock.advance(Duration.ofSeconds(5));
        List<Sent> after = sent().subList(before, sent().size());
        assertThat(after).isNotEmpty();
        BeatFrame first = after.get(0).frame();
        assertThat(first.term()).isEqualTo(2);
        var expected = t.following(ahead);
        assertThat(first.beatIndex() * 3 + t.phaseIndexOf(first.phase()))
                .isEqualTo(expected.beatIndex() * 3 + expected.phaseIndex());
    }

    @Test
    void framesThatNeverComeBackFromNatsMakeTheLeaderHandOver() {
        clock.advance(Duration.ofSeconds(5));
        assertThat(handOvers.get()).isZero();
        unconfirmedSince.set(clock.nanoTime()); // published, and nothing has come back since
        clock.advance(Duration.ofMillis(200));
        assertThat(handOvers.get()).as("not before max(phase, 250 ms)").isZero();
        clock.advance(Duration.ofMillis(300));
        assertThat(handOvers.get()).as("a leader whose frames vanish hands over").isPositive();
        assertThat(vanished.get()).as("and drops its NATS connection").isPositive();
    }
}
