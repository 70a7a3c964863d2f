package io.backbeat.client.it;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.client.ClientStats;
import io.backbeat.client.DispatchMode;
import io.backbeat.client.DropReason;
import io.backbeat.testkit.NatsTestServer;
import io.backbeat.testkit.TestPulse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The client against a real nats-server and a publishing pulse. */
class ClientIntegrationTest {
    private NatsTestServer nats;
    private TestPulse pulse;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void startNats() {
        nats = NatsTestServer.start();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        if (pulse != null) {
            pulse.close();
        }
        nats.close();
    }

    private BeatClient client(String cluster, Duration grace, DispatchMode mode) {
        BeatClient c = BeatClient.builder(cluster).natsServers(nats.url()).grace(grace).dispatchMode(mode)
                .agentId("it-client").build();
        toClose.add(c);
        return c;
    }

    static long p(List<Long> values, double q) {
        long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return v.length == 0 ? -1 : v[(int) Math.min(v.length - 1, Math.ceil(q * v.length) - 1)];
    }

    @Test
    void aFrameBeforeAnyGridGivesItsPhaseAnEstimatedStart() throws Exception {
        // no pulse answers timeline requests: the client knows only what the frame says
        BeatClient client = client("it-nogrid", Duration.ofSeconds(5), DispatchMode.FRAME);
        RecordingListener rec = new RecordingListener();
        client.addListener(rec);
        Timeline grid = Timeline.of(TimelineDescriptor.initial("it-nogrid", 0, 60, 4, List.of("plan", "execute", "review")));
        try (io.nats.client.Connection nc = io.nats.client.Nats.connect(nats.url())) {
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                GridPosition pos = grid.positionAt(io.backbeat.api.EpochNanos.of(Instant.now()));
                nc.publish(io.backbeat.api.ClusterId.beatSubject("it-nogrid"), BackbeatCodec.encodeFrame(
                        BeatFrame.at(grid, pos, "0199a1b2c3d4:0000:abcd", "p1", 1)));
                Thread.sleep(50);
                return !rec.phases().isEmpty();
            });
        }
        RecordingListener.Seen s = rec.phases().get(0);
        long exact = grid.phaseStartNanos(s.beatIndex(), s.phaseIndex());
        // the frame's deadline is in milliseconds: the estimate is within 1 ms of the grid's phase start
        assertThat(s.phaseStartEpochNanos()).isBetween(exact - 1_000_000L, exact + 1_000_000L);
        assertThat(s.deadlineEpochNanos() - s.phaseStartEpochNanos()).isBetween(332_000_000L, 334_000_000L);
    }

    @Test
    void phasesArriveInOrderWithTheGridsDeadlines() {
        pulse = TestPulse.start(nats.url(), "it-order", 240);
        BeatClient client = client("it-order", Duration.ofMillis(250), DispatchMode.FRAME);
        RecordingListener rec = new RecordingListener();
        client.addListener(rec);
        await().atMost(Duration.ofSeconds(15)).until(() -> rec.phases().size() >= 24);
        Timeline grid = Timeline.of(pulse.descriptor());
        List<RecordingListener.Seen> seen = rec.phases();
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        for (RecordingListener.Seen s : seen) {
            assertThat(s.degraded()).isFalse();
            assertThat(s.phaseStartEpochNanos()).isEqualTo(grid.phaseStartNanos(s.beatIndex(), s.phaseIndex()));
            assertThat(s.deadlineEpochNanos()).isEqualTo(grid.deadlineNanos(s.beatIndex(), s.phaseIndex()));
            assertThat(s.phase()).isEqualTo(grid.phases().get(s.phaseIndex()));
        }
        List<Long> lags = seen.stream().map(RecordingListener.Seen::lagNanos).toList();
        System.out.printf("FRAME mode lag (callback - grid phase start): p50=%.3f ms p95=%.3f ms n=%d%n",
                p(lags, 0.5) / 1e6, p(lags, 0.95) / 1e6, lags.size());
        assertThat(p(lags, 0.95)).isLessThan(50_000_000L);
        assertThat(client.stats().droppedTotal()).isZero();
    }

    @Test
    void gridModeFiresAtTheGridInstant() {
        pulse = TestPulse.start(nats.url(), "it-grid", 240);
        BeatClient client = client("it-grid", Duration.ofMillis(250), DispatchMode.GRID);
        RecordingListener rec = new RecordingListener();
        client.addListener(rec);
        await().atMost(Duration.ofSeconds(15)).until(() -> rec.phases().size() >= 24);
        List<RecordingListener.Seen> seen = rec.phases().subList(3, rec.phases().size());
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        assertThat(seen).allMatch(s -> !s.degraded());
        List<Long> lags = seen.stream().map(RecordingListener.Seen::lagNanos).toList();
        System.out.printf("GRID mode lag (callback - grid phase start): p50=%.3f ms p95=%.3f ms n=%d%n",
                p(lags, 0.5) / 1e6, p(lags, 0.95) / 1e6, lags.size());
        assertThat(p(lags, 0.95)).isLessThan(50_000_000L);
    }

    @Test
    void natsOutageOfFiveSecondsDegradesWithoutGapsAndRecovers() {
        pulse = TestPulse.start(nats.url(), "it-outage", 60); // phases of 333 ms
        BeatClient client = client("it-outage", Duration.ofMillis(100), DispatchMode.FRAME);
        RecordingListener rec = new RecordingListener();
        client.addListener(rec);
        await().atMost(Duration.ofSeconds(15)).until(() -> rec.phases().size() >= 4);
        nats.stop();
        long stoppedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(3)).until(() -> rec.notices().contains("degraded"));
        while (System.nanoTime() - stoppedAt < 5_000_000_000L) {
            sleep(100);
        }
        nats.restart();
        await().atMost(Duration.ofSeconds(15)).until(() -> rec.notices().contains("recovered"));
        int after = rec.phases().size();
        await().atMost(Duration.ofSeconds(10)).until(() -> rec.phases().size() >= after + 4);
        List<RecordingListener.Seen> seen = rec.phases();
        assertThat(rec.sequenceProblems(3, true)).as("every phase once, in order").isEmpty();
        long derived = seen.stream().filter(RecordingListener.Seen::degraded).count();
        assertThat(derived).as("phases derived during 5 s at 333 ms").isGreaterThanOrEqualTo(12);
        assertThat(seen.get(seen.size() - 1).degraded()).isFalse();
        ClientStats st = client.stats();
        assertThat(st.degradations()).isGreaterThanOrEqualTo(1);
        assertThat(st.recoveries()).isGreaterThanOrEqualTo(1);
        assertThat(Math.abs(st.lastCorrectionNanos())).isLessThan(2_000_000L);
        System.out.printf("outage: %d phases derived, correction at recovery %d ns%n", derived, st.lastCorrectionNanos());
    }

    @Test
    void leaderFailoverOnTheSameGridDeliversEveryPhaseOnce() {
        pulse = TestPulse.start(nats.url(), "it-failover", 120);
        BeatClient client = client("it-failover", Duration.ofMillis(150), DispatchMode.FRAME);
        RecordingListener rec = new RecordingListener();
        client.addListener(rec);
        await().atMost(Duration.ofSeconds(15)).until(() -> rec.phases().size() >= 4);
        pulse.pause(); // the leader dies
        sleep(1500);
        pulse.failover(2, "pulse-2"); // a new leader, higher term, same grid
        pulse.resume();
        await().atMost(Duration.ofSeconds(10)).until(() -> rec.notices().contains("recovered"));
        int n = rec.phases().size();
        await().atMost(Duration.ofSeconds(10)).until(() -> rec.phases().size() >= n + 4);
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        assertThat(rec.notices()).contains("leader pulse-2 2");
        assertThat(rec.phases().get(rec.phases().size() - 1).term()).isEqualTo(2);
    }

    @Test
    void hostilePublisherChangesNothingAListenerSeesAndEveryKindIsCounted() {
        pulse = TestPulse.start(nats.url(), new TimelineDescriptor("it-hostile",
                (System.currentTimeMillis() / 1000 + 1) * 1_000_000_000L, 0, 60, 4, TimelineDescriptor.DEFAULT_PHASES, 5,
                "pulse-1", null));
        BeatClient client = client("it-hostile", Duration.ofMillis(250), DispatchMode.FRAME);
        AtomicReference<BeatContext> last = new AtomicReference<>();
        RecordingListener rec = new RecordingListener() {
            @Override
            protected void afterPhase(BeatContext ctx) {
                last.set(ctx);
            }
        };
        client.addListener(rec);
        await().atMost(Duration.ofSeconds(15)).until(() -> rec.phases().size() >= 3 && client.descriptor() != null);
        Timeline grid = Timeline.of(pulse.descriptor());
        // wait to be early in a phase so the next phase is ~300 ms away
        int seenBefore = rec.phases().size();
        await().atMost(Duration.ofSeconds(5)).until(() -> rec.phases().size() > seenBefore);
        BeatContext cur = last.get();
        GridPosition now = grid.position(cur.beatIndex(), cur.phaseIndex());
        GridPosition next = grid.following(now);
        BeatFrame good = pulse.frameAt(next);
        BeatFrame replay = pulse.published().get(pulse.published().size() - 1);
        pulse.publishRaw("{\"type\":\"backbeat.beatframe.v1\"".getBytes(StandardCharsets.UTF_8));
        pulse.publishRaw("not json at all".getBytes(StandardCharsets.UTF_8));
        pulse.publishRaw(BackbeatCodec.encodeFrame(good.toBuilder().clusterId("other-cluster").build()));
        BeatFrame current = pulse.frameAt(now);
        pulse.publishRaw(BackbeatCodec.encodeFrame(current.toBuilder().term(4).build()));
        String futureHlc = new io.backbeat.hlc.HlcTimestamp(System.currentTimeMillis() + 60_000, 0, 1).toString();
        pulse.publishRaw(BackbeatCodec.encodeFrame(current.toBuilder().hlc(futureHlc).build()));
        // the next phase, ~300 ms before it starts (a forged copy that would fire a callback early)
        pulse.publishRaw(BackbeatCodec.encodeFrame(good));
        // a huge term on an already delivered pair: dropped, and it does not fence the real leader out
        pulse.publishRaw(BackbeatCodec.encodeFrame(current.toBuilder().term(Long.MAX_VALUE).leaderId("evil").build()));
        GridPosition past = grid.position(now.beatIndex() - 2, 0);
        pulse.publishRaw(BackbeatCodec.encodeFrame(pulse.frameAt(past)));
        pulse.publishRaw(BackbeatCodec.encodeFrame(replay));
        pulse.publishRaw(BackbeatCodec.encodeFrame(good.toBuilder().beatIndex(next.beatIndex() + 1000).build()));
        await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().droppedTotal() >= 10);
        int n = rec.phases().size();
        await().atMost(Duration.ofSeconds(10)).until(() -> rec.phases().size() >= n + 3);
        ClientStats st = client.stats();
        System.out.println("drops by reason: " + st.dropped());
        for (DropReason r : Arrays.asList(DropReason.MALFORMED, DropReason.WRONG_CLUSTER, DropReason.STALE_TERM,
                DropReason.HLC_OFFSET, DropReason.EXPIRED, DropReason.DUPLICATE, DropReason.OFF_GRID, DropReason.EARLY)) {
            assertThat(st.dropped(r)).as(r.name()).isGreaterThanOrEqualTo(1);
        }
        assertThat(st.dropped(DropReason.MALFORMED)).isEqualTo(2);
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        assertThat(rec.phases()).allMatch(s -> !s.degraded() && s.term() == 5);
        assertThat(client.hlc().peek().wallMs()).isLessThan(System.currentTimeMillis() + 1_000);
    }

    @Test
    void aSleepingListenerDoesNotDelayAnother() {
        pulse = TestPulse.start(nats.url(), "it-slow", 240);
        BeatClient client = client("it-slow", Duration.ofMillis(250), DispatchMode.FRAME);
        RecordingListener before = new RecordingListener(); // registered before the slow ones
        client.addListener(before);
        client.addListener(new BeatListener() {
            @Override
            public void onPhase(BeatContext ctx) {
                sleep(400); // far past its 83 ms deadline
            }
        });
        client.addListener(new BeatListener() {
            @Override
            public void onPhase(BeatContext ctx) {
                throw new IllegalStateException("a listener that always throws");
            }
        });
        RecordingListener fast = new RecordingListener();
        client.addListener(fast);
        await().atMost(Duration.ofSeconds(20)).until(() -> fast.phases().size() >= 30);
        assertThat(fast.sequenceProblems(3, true)).isEmpty();
        List<Long> lags = fast.phases().stream().map(RecordingListener.Seen::lagNanos).toList();
        // the delay the slow listeners add: the fast listener after them vs the one before them, per phase
        java.util.Map<Long, Long> firstArrival = new java.util.HashMap<>();
        for (RecordingListener.Seen s : before.phases()) {
            firstArrival.put(s.beatIndex() * 3 + s.phaseIndex(), s.arrivedEpochNanos());
        }
        List<Long> added = new ArrayList<>();
        for (RecordingListener.Seen s : fast.phases()) {
            Long b = firstArrival.get(s.beatIndex() * 3 + s.phaseIndex());
            if (b != null) {
                added.add(s.arrivedEpochNanos() - b);
            }
        }
        System.out.printf("fast listener beside a sleeping and a throwing one: lag p50=%.3f ms p95=%.3f ms; "
                + "delay vs a listener registered before them p50=%.3f ms p95=%.3f ms max=%.3f ms%n",
                p(lags, 0.5) / 1e6, p(lags, 0.95) / 1e6, p(added, 0.5) / 1e6, p(added, 0.95) / 1e6,
                p(added, 1.0) / 1e6);
        assertThat(added).hasSizeGreaterThanOrEqualTo(25);
        assertThat(p(added, 0.95)).as("added delay p95").isLessThan(10_000_000L);
        assertThat(p(lags, 0.95)).isLessThan(20_000_000L);
        ClientStats st = client.stats();
        assertThat(st.listenerErrors()).isGreaterThanOrEqualTo(20);
        assertThat(st.skippedBusy()).isGreaterThan(0);
    }

    @Test
    void thousandListenersAt120Bpm() {
        pulse = TestPulse.start(nats.url(), "it-thousand", 120);
        BeatClient client = client("it-thousand", Duration.ofMillis(250), DispatchMode.FRAME);
        int n = 1000;
        List<RecordingListener> recs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RecordingListener r = new RecordingListener();
            recs.add(r);
            client.addListener(r);
        }
        await().atMost(Duration.ofSeconds(40)).until(() -> recs.stream().allMatch(r -> r.phases().size() >= 40));
        // per phase: the last listener's callback relative to the grid instant
        java.util.Map<Long, Long> lastByPhase = new java.util.HashMap<>();
        java.util.Map<Long, Long> firstByPhase = new java.util.HashMap<>();
        for (RecordingListener r : recs) {
            assertThat(r.sequenceProblems(3, true)).isEmpty();
            for (RecordingListener.Seen s : r.phases().subList(10, 40)) { // steady state: after 10 warm-up phases
                long key = s.beatIndex() * 3 + s.phaseIndex();
                lastByPhase.merge(key, s.lagNanos(), Math::max);
                firstByPhase.merge(key, s.lagNanos(), Math::min);
            }
        }
        List<Long> spread = new ArrayList<>();
        for (Long k : lastByPhase.keySet()) {
            spread.add(lastByPhase.get(k) - firstByPhase.get(k));
        }
        List<Long> last = new ArrayList<>(lastByPhase.values());
        System.out.printf("1000 listeners (phases 10-40): last callback - grid instant p50=%.3f ms p95=%.3f ms; "
                + "first-to-last spread p95=%.3f ms%n", p(last, 0.5) / 1e6, p(last, 0.95) / 1e6, p(spread, 0.95) / 1e6);
        assertThat(p(last, 0.95)).isLessThan(50_000_000L);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
