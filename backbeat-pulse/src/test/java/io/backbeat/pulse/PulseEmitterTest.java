package io.backbeat.pulse;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClaimState;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.ClusterId;
import io.backbeat.api.EpochClock;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.pulse.config.PulseConfig;
import io.backbeat.pulse.metrics.PulseMetrics;
import io.backbeat.testkit.NatsTestServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The emitter against a real nats-server, with leadership set by the test: a NATS outage never
 * delivers a stale frame later, and a node that loses leadership or sees a higher term stops at
 * once.
 */
class PulseEmitterTest {
    private static final String CLUSTER = "emitter-test";
    private static final EpochClock CLOCK = EpochClock.system();

    private record Arrival(BeatFrame frame, long epochNanos) {
    }

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<Arrival> arrivals = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private List<Arrival> arrivals() {
        synchronized (arrivals) {
            return List.copyOf(arrivals);
        }
    }

    private void subscribe(NatsTestServer server) throws Exception {
        Connection sub = Nats.connect(new Options.Builder().server(server.url()).maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(50)).build());
        toClose.add(sub::close);
        Dispatcher d = sub.createDispatcher(m -> {
            long now = CLOCK.epochNanos();
            BeatFrame f = BackbeatCodec.decodeFrame(m.getData());
            synchronized (arrivals) {
                arrivals.add(new Arrival(f, now));
            }
        });
        d.subscribe(ClusterId.beatSubject(CLUSTER));
        sub.flush(Duration.ofSeconds(5));
    }

    /** A pulse node on the pulse's own NATS options (no reconnect buffer), 240 BPM, 3 phases of 83 ms. */
    private PulseNode node(NatsTestServer server, InMemoryConsensus consensus, PulseMetrics metrics, String nodeId)
            throws Exception {
        PulseConfig cfg = PulseConfig.parse(new String[]{"--cluster", CLUSTER, "--node-id", nodeId, "--bootstrap",
                "--nats", server.url(), "--bpm", "240", "--bar", "4", "--min-bpm", "30", "--max-bpm", "300",
                "--phases", "plan,execute,review"}, java.util.Map.of());
        Connection nc = Nats.connectReconnectOnConnect(PulseMain.natsOptions(cfg));
        toClose.add(nc::close);
        PulseNode node = new PulseNode(CLUSTER, nodeId, consensus, nc, metrics, cfg.tempoPolicy(), cfg.bpm(),
                cfg.bar(), cfg.phases(), cfg.grace());
        toClose.add(node);
        return node;
    }

    private record Leader(NatsTestServer server, InMemoryConsensus consensus, PulseMetrics metrics, PulseNode node) {
    }

    /** A nats-server, this test's subscriber and node e1 (not started), its view leading in term 1. */
    private Leader leaderNode() throws Exception {
        NatsTestServer server = NatsTestServer.start();
        toClose.add(server);
        subscribe(server);
        InMemoryConsensus consensus = new InMemoryConsensus("e1");
        PulseMetrics metrics = new PulseMetrics(new SimpleMeterRegistry());
        PulseNode node = node(server, consensus, metrics, "e1");
        consensus.set(true, 1, "e1");
        return new Leader(server, consensus, metrics, node);
    }

    /** {@link #leaderNode()} started, with 6 frames received. */
    private Leader startLeader() throws Exception {
        Leader leader = leaderNode();
        leader.node().start();
        await().atMost(Duration.ofSeconds(30)).until(() -> arrivals().size() >= 6);
        return leader;
    }

    /** No frame for a phase that starts after {@code epochNanos} (1 ms of slack for the fence-to-publish step). */
    private static void assertNoPhaseStartingAfter(List<Arrival> got, InMemoryConsensus consensus, long epochNanos,
                                                   String what) {
        for (Arrival a : got) {
            assertThat(phaseStart(consensus, a.frame())).as("%s: %s", what, a.frame()).isLessThan(epochNanos + 1_000_000L);
        }
    }

    private static long phaseStart(InMemoryConsensus consensus, BeatFrame f) {
        Timeline grid = Timeline.of(consensus.committedTimeline());
        return grid.phaseStartNanos(f.beatIndex(), grid.phaseIndexOf(f.phase()));
    }

    private static void assertNoPhaseTwiceAndSameGrid(List<Arrival> got, TimelineDescriptor d) {
        Set<String> seen = new HashSet<>();
        Timeline grid = Timeline.of(d);
        for (Arrival a : got) {
            BeatFrame f = a.frame();
            assertThat(seen.add(f.beatIndex() + "/" + f.phase())).as("published twice: %s", f).isTrue();
            int p = grid.phaseIndexOf(f.phase());
            assertThat(f.deadlineEpochNanos()).as("frame on the replicated grid: %s", f)
                    .isEqualTo(grid.deadlineNanos(f.beatIndex(), p) / 1_000_000 * 1_000_000); // ms on the wire
            assertThat(f.beatIndex()).as("no beat before the first anchor").isNotNegative();
        }
    }

    @Test
    void aNatsOutageNeverDeliversAStaleFrameAndTheBeatResumesOnTheGrid() throws Exception {
        Leader leader = startLeader();
        NatsTestServer server = leader.server();
        InMemoryConsensus consensus = leader.consensus();
        PulseMetrics metrics = leader.metrics();

        server.stop();
        long down = System.nanoTime();
        Thread.sleep(1500); // 18 phases at 240 BPM with nobody to take them
        // a NATS outage is no reason to restart the process: live, but neither ready nor healthy
        assertThat(leader.node().liveProblems()).isEmpty();
        assertThat(leader.node().notReadyReasons()).anySatisfy(r -> assertThat(r).startsWith("NATS"));
        assertThat(leader.node().healthProblems()).isNotEmpty();
        server.restart();
        long up = System.nanoTime();
        int before = arrivals().size();
        await().atMost(Duration.ofSeconds(30)).until(() -> arrivals().size() >= before + 12);
        System.out.printf("NATS down %d ms: %d phases skipped, %d frames before, %d after%n",
                (up - down) / 1_000_000, metrics.framesSkipped(), before, arrivals().size() - before);

        List<Arrival> got = arrivals();
        for (Arrival a : got) {
            // a frame arrives inside its phase or at worst moments after it (loaded CI), never a whole
            // outage (1.5 s) later as jnats' reconnect buffer would deliver it
            assertThat(a.epochNanos()).as("stale frame delivered: %s", a.frame())
                    .isLessThan(a.frame().deadlineEpochNanos() + 100_000_000L);
        }
        assertThat(metrics.framesSkipped()).as("the phases of the outage are counted as skipped").isGreaterThan(0);
        assertNoPhaseTwiceAndSameGrid(got, consensus.committedTimeline());
    }

    @Test
    void aNodeThatLosesLeadershipOrSeesAHigherTermStopsAtOnce() throws Exception {
        Leader leader = startLeader();
        InMemoryConsensus consensus = leader.consensus();
        PulseNode node = leader.node();

        // leadership lost: nothing for a phase that starts after the loss
        long lost = CLOCK.epochNanos();
        consensus.set(false, 1, "");
        Thread.sleep(1000);
        List<Arrival> afterLoss = arrivals();
        assertNoPhaseStartingAfter(afterLoss, consensus, lost, "published after losing leadership");

        // leader again in a higher term: continues the same grid, no phase repeated
        consensus.set(true, 3, "e1");
        await().atMost(Duration.ofSeconds(30)).until(() -> arrivals().stream().anyMatch(a -> a.frame().term() == 3));
        await().atMost(Duration.ofSeconds(10)).until(() -> arrivals().size() >= afterLoss.size() + 6);

        // a stale view with a lower term than one already seen: fenced, nothing published
        long fenced = CLOCK.epochNanos();
        consensus.set(true, 2, "e1");
        Thread.sleep(1000);
        List<Arrival> all = arrivals();
        assertThat(all).allSatisfy(a -> assertThat(a.frame().term()).as("never a term below one seen").isIn(1L, 3L));
        assertNoPhaseStartingAfter(all, consensus, fenced, "published while fenced by term 3 at a view of term 2");
        assertThat(node.leader().stats()).containsKey("beats_published");
        assertNoPhaseTwiceAndSameGrid(all, consensus.committedTimeline());
    }

    @Test
    void aFollowerAnswersTimelineRequestsAggregatesStatusClaimsAndReportsDrift() throws Exception {
        Leader started = startLeader();
        NatsTestServer server = started.server();
        InMemoryConsensus leaderView = started.consensus();
        PulseNode leader = started.node();
        InMemoryConsensus followerView = leaderView.peer("e2");
        PulseMetrics followerMetrics = new PulseMetrics(new SimpleMeterRegistry());
        PulseNode follower = node(server, followerView, followerMetrics, "e2");
        followerView.set(false, 1, "e1");
        follower.start();

        // drift: the follower measures the frames it receives against its own copy of the grid
        await().atMost(Duration.ofSeconds(5)).until(() -> follower.drift().framesObserved() >= 3
                && !follower.drift().degradationMode());
        assertThat(follower.drift().lastSyncTime()).isNotNull();
        // forged frames (another leader, or the real one's name for a phase far from now) do not feed the figures
        try (Connection forger = Nats.connect(server.url())) {
            Timeline t = Timeline.of(followerView.committedTimeline());
            var now = t.positionAt(CLOCK.epochNanos());
            String hlcNow = io.backbeat.hlc.HybridLogicalClock.create("x").now().toString();
            forger.publish(ClusterId.beatSubject(CLUSTER), BackbeatCodec.encodeFrame(BeatFrame.at(t, now, hlcNow, "evil", 9)));
            var far = t.position(now.beatIndex() + 1000, 0);
            forger.publish(ClusterId.beatSubject(CLUSTER), BackbeatCodec.encodeFrame(BeatFrame.at(t, far, hlcNow, "e1", 1)));
            forger.flush(Duration.ofSeconds(5));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> followerMetrics.ignoredFrames("not_leader") >= 1
                && followerMetrics.ignoredFrames("implausible") >= 1);
        assertThat(follower.drift().timerDriftPercent()).as("forged frames do not move drift").isLessThan(50);
        assertThat(follower.drift().deliveryLatencyMs()).isBetween(-5.0, 1000.0);

        // status claims: counted per beat; malformed or foreign ones counted and dropped
        Connection pub = Nats.connect(server.url());
        toClose.add(pub::close);
        String hlc = io.backbeat.hlc.HybridLogicalClock.create("agent").now().toString();
        String status = ClusterId.statusSubject(CLUSTER);
        int agent = 0;
        for (ClaimState st : List.of(ClaimState.COMPLETED, ClaimState.COMPLETED, ClaimState.FAILED)) {
            pub.publish(status, BackbeatCodec.encodeClaim(new StatusClaim(CLUSTER, "a" + (10 + agent++), 5, "execute",
                    st, hlc, 12, null)));
        }
        // one agent repeating itself counts once; claims far from the grid's now are not counted at all
        for (int i = 0; i < 50; i++) {
            pub.publish(status, BackbeatCodec.encodeClaim(new StatusClaim(CLUSTER, "a10", 5, "execute",
                    ClaimState.COMPLETED, hlc, 12, null)));
        }
        pub.publish(status, BackbeatCodec.encodeClaim(new StatusClaim(CLUSTER, "a9", Long.MAX_VALUE, "plan",
                ClaimState.COMPLETED, hlc, 1, null)));
        pub.publish(status, BackbeatCodec.encodeClaim(new StatusClaim(CLUSTER, "a9", -1_000_000, "plan",
                ClaimState.COMPLETED, hlc, 1, null)));
        pub.publish(status, BackbeatCodec.encodeClaim(new StatusClaim(CLUSTER, "a2", 6, "review", ClaimState.LATE, hlc, 0, "slow")));
        pub.publish(status, BackbeatCodec.encodeClaim(new StatusClaim("other-cluster", "a3", 5, "execute",
                ClaimState.COMPLETED, hlc, 1, null)));
        pub.publish(status, "{not a claim".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        pub.flush(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> followerMetrics.malformedClaims() == 2
                && follower.recentStatus().size() == 2 && followerMetrics.droppedClaims("duplicate") == 50
                && followerMetrics.droppedClaims("out_of_window") == 2);
        assertThat(follower.recentStatus()).containsExactly(new io.backbeat.pulse.admin.PulseAdmin.BeatStatus(5, 2, 1, 0, 0),
                new io.backbeat.pulse.admin.PulseAdmin.BeatStatus(6, 0, 0, 1, 0));

        // the leader goes quiet: the follower calls the pulse degraded once a phase plus the grace has passed
        leaderView.set(false, 1, "");
        await().atMost(Duration.ofSeconds(5)).until(() -> follower.drift().degradationMode());

        // with the leader gone, the follower alone answers timeline requests with the replicated descriptor
        leader.close();
        io.nats.client.Message reply = pub.request(ClusterId.timelineSubject(CLUSTER), new byte[0], Duration.ofSeconds(5));
        assertThat(reply).as("a follower answers timeline requests").isNotNull();
        assertThat(BackbeatCodec.decodeDescriptor(reply.getData())).isEqualTo(followerView.committedTimeline());
    }

    @Test
    void aLeaderWithoutALeasePublishesNothingCountsTheRefusalsAndSaysSo() throws Exception {
        Leader leader = startLeader();
        long cut = CLOCK.epochNanos();
        leader.consensus().lease(0); // a majority has not confirmed this leadership: another node may lead
        Thread.sleep(1000);
        List<Arrival> during = arrivals();
        assertNoPhaseStartingAfter(during, leader.consensus(), cut, "published without a lease");
        assertThat(leader.metrics().framesFenced()).as("refusals are counted").isGreaterThanOrEqualTo(6);
        assertThat(leader.node().healthProblems()).anySatisfy(p -> assertThat(p).contains("published no frame"));

        leader.consensus().lease(Long.MAX_VALUE);
        await().atMost(Duration.ofSeconds(10)).until(() -> arrivals().size() >= during.size() + 6);
        assertThat(leader.node().healthProblems()).isEmpty();
        assertNoPhaseTwiceAndSameGrid(arrivals(), leader.consensus().committedTimeline());
    }

    @Test
    void aNewLeaderStartsStrictlyAfterTheHighestPairSeenEvenWhenTheOldLeadersClockWasAhead() throws Exception {
        Leader started = startLeader();
        InMemoryConsensus e1 = started.consensus();
        InMemoryConsensus e2View = e1.peer("e2");
        PulseNode e2 = node(started.server(), e2View, new PulseMetrics(new SimpleMeterRegistry()), "e2");
        e2View.set(false, 1, "e1");
        e2.start();
        // the old leader's clock ran 2 s ahead: its last frames are for phases 2 s in e2's future
        e1.set(false, 1, "");
        Thread.sleep(200);
        TimelineDescriptor d = e1.committedTimeline();
        Timeline grid = Timeline.of(d);
        io.backbeat.api.GridPosition ahead = grid.positionAt(CLOCK.epochNanos() + 2_000_000_000L);
        Connection skewed = Nats.connect(started.server().url());
        toClose.add(skewed::close);
        for (int i = 0; i < 3; i++) {
            skewed.publish(ClusterId.beatSubject(CLUSTER), BackbeatCodec.encodeFrame(BeatFrame.at(grid, ahead,
                    io.backbeat.hlc.HybridLogicalClock.create("e1").now().toString(), "e1", 1)));
            ahead = grid.following(ahead);
        }
        skewed.flush(Duration.ofSeconds(5));
        io.backbeat.api.GridPosition lastOld = grid.position(ahead.beatIndex(), ahead.phaseIndex());
        Thread.sleep(100);
        int before = arrivals().size();
        e2View.set(true, 2, "e2");
        await().atMost(Duration.ofSeconds(15)).until(() -> arrivals().stream().anyMatch(a -> a.frame().term() == 2));
        BeatFrame first = arrivals().stream().filter(a -> a.frame().term() == 2).findFirst().orElseThrow().frame();
        System.out.printf("new leader after a leader 2 s ahead: first frame beat %d %s (last old pair before beat %d %s)%n",
                first.beatIndex(), first.phase(), lastOld.beatIndex(), lastOld.phase());
        assertThat(grid.phaseStartNanos(first.beatIndex(), grid.phaseIndexOf(first.phase())))
                .as("the new term starts strictly after the highest pair on the wire")
                .isGreaterThanOrEqualTo(lastOld.phaseStartNanos());
        assertThat(arrivals().size()).isGreaterThan(before);
        assertNoPhaseTwiceAndSameGrid(arrivals(), d);
    }

    @Test
    void canChangeIsTrueOnlyWhenAChangeCouldBeCommittedNowAndSaysWhyNot() throws Exception {
        Leader leader = startLeader();
        io.backbeat.pulse.admin.PulseAdmin.TempoStatus ok = leader.node().tempo();
        assertThat(ok.canChange()).isTrue();
        assertThat(ok.reason()).isEmpty();
        assertThat(ok.nextChange()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        leader.consensus().set(false, 2, ""); // the leader is gone and no one is elected: no quorum
        io.backbeat.pulse.admin.PulseAdmin.TempoStatus no = leader.node().tempo();
        assertThat(no.canChange()).isFalse();
        assertThat(no.reason()).contains("no consensus leader");
        assertThat(no.nextChange()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        leader.consensus().set(false, 2, "e9");
        leader.consensus().failCommits("disk full: no space left");
        leader.node().requestTempo(250, "test");
        await().atMost(Duration.ofSeconds(5)).until(() -> !leader.node().tempo().canChange());
        assertThat(leader.node().tempo().reason()).isNotEmpty();
    }

    @Test
    void oneFailoverCountsOneLeadershipChangeAndTheGaugesSayWhatTheyMean() throws Exception {
        NatsTestServer server = NatsTestServer.start();
        toClose.add(server);
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        PulseMetrics metrics = new PulseMetrics(registry, CLUSTER, "e2");
        InMemoryConsensus view = new InMemoryConsensus("e2");
        view.set(false, 0, "");
        PulseNode node = node(server, view, metrics, "e2");
        node.start();
        view.set(false, 1, "e1");               // the first leader learned of: not a change
        assertThat(metrics.leadershipChanges()).isZero();
        view.set(false, 2, "");                 // e1 lost; an election under way: not yet a change
        view.set(false, 2, "e3");               // e3 elected: one change
        view.set(false, 2, "e3");
        assertThat(metrics.leadershipChanges()).as("one failover").isEqualTo(1);
        view.set(true, 3, "e2");                // this node elected: one more
        view.set(false, 4, "e2");               // and re-elected in a later term (a new leadership)
        assertThat(metrics.leadershipChanges()).isEqualTo(3);

        String scrape = registry.scrape();
        for (String name : List.of("backbeat_degraded ", "backbeat_degraded_seconds ", "backbeat_nats_connected ",
                "backbeat_nats_reconnects_total ", "backbeat_last_frame_timestamp_seconds ", "backbeat_tempo_bpm ",
                "backbeat_timer_drift_ratio ", "backbeat_ready ", "backbeat_cluster_size ", "backbeat_is_leader ",
                "backbeat_term ", "backbeat_frames_superseded_total ", "backbeat_leadership_changes_total 3.0")) {
            assertThat(scrape).as("%s in\n%s", name, scrape).containsPattern("(?m)^" + java.util.regex.Pattern.quote(
                    name.trim()) + "(\\{[^}]*\\})? ?" + (name.endsWith(" ") ? "" : ""));
        }
        assertThat(scrape).containsPattern("(?m)^backbeat_nats_connected 1\\.0$");
        assertThat(scrape).containsPattern("(?m)^backbeat_nats_frames_connected 1\\.0$");
        assertThat(scrape).containsPattern("(?m)^backbeat_nats_frames_connects_total 1\\.0$");
        assertThat(scrape).as("no frame yet: degraded since start").containsPattern("(?m)^backbeat_degraded 1\\.0$");
        assertThat(scrape).containsPattern("(?m)^backbeat_term 4\\.0$");

        // signed histograms: an early frame lands below zero
        metrics.delivered(-3_000_000L);
        metrics.delivered(1_500_000L);
        metrics.published(10_000, -50_000);
        scrape = registry.scrape();
        assertThat(scrape).containsPattern("(?m)^backbeat_beat_delivery_latency_seconds_bucket\\{cluster=\"" + CLUSTER
                + "\",node=\"e2\",le=\"-0\\.002\"} 1$");
        assertThat(scrape).containsPattern("(?m)^backbeat_beat_delivery_latency_seconds_bucket\\{[^}]*le=\"0\\.002\"[^}]*} 2$");
        assertThat(scrape).containsPattern("(?m)^backbeat_pulse_jitter_seconds_bucket\\{[^}]*le=\"-2\\.0E-5\"[^}]*} 1$");
        assertThat(scrape).contains("backbeat_beat_publish_duration_seconds_bucket");
    }

    @Test
    void aLeaderWhoseClockIsOffPublishesNothingHandsOverAndIsNotReady() throws Exception {
        Leader leader = leaderNode();
        InMemoryConsensus consensus = leader.consensus();
        PulseNode node = leader.node();
        java.util.concurrent.atomic.AtomicLong offset = new java.util.concurrent.atomic.AtomicLong(2_000_000_000L);
        node.clockDiscipline((bound, size) -> new io.backbeat.pulse.clock.ClockVerdict(Math.abs(offset.get()) > bound
                ? io.backbeat.pulse.clock.ClockVerdict.Status.SKEWED : io.backbeat.pulse.clock.ClockVerdict.Status.TRUSTED,
                java.util.OptionalLong.of(offset.get()), 2, 0, "test"), Duration.ofMillis(100));
        node.start();
        Thread.sleep(1000);
        assertThat(arrivals()).as("a leader 2 s off the cluster's clock publishes nothing").isEmpty();
        assertThat(consensus.yields()).as("and hands its leadership over").isGreaterThanOrEqualTo(1);
        assertThat(node.notReadyReasons()).anySatisfy(r -> assertThat(r).contains("clock offset +2000.0 ms"));

        offset.set(3_000_000L); // back within the bound
        await().atMost(Duration.ofSeconds(10)).until(() -> arrivals().size() >= 3);
        assertThat(node.notReadyReasons()).isEmpty();
    }

    /**
     * A node whose clock is skewed and that wins a term does not take it over (no majority round trip for
     * a term it will not lead) and hands it over at once, also when it won another term less than the
     * hand-over cooldown ago (the chaos runs: a skewed node elected after a SIGKILL led silently
     * 130-770 ms before it let go).
     */
    @Test
    void aSkewedNodeThatWinsATermHandsItOverWithoutTakingItOver() throws Exception {
        Leader leader = startLeader(); // leads term 1 with a true clock
        InMemoryConsensus consensus = leader.consensus();
        java.util.concurrent.atomic.AtomicLong offset = new java.util.concurrent.atomic.AtomicLong(0);
        leader.node().clockDiscipline((bound, size) -> new io.backbeat.pulse.clock.ClockVerdict(
                Math.abs(offset.get()) > bound ? io.backbeat.pulse.clock.ClockVerdict.Status.SKEWED
                        : io.backbeat.pulse.clock.ClockVerdict.Status.TRUSTED,
                java.util.OptionalLong.of(offset.get()), 2, 0, "test"), Duration.ofMillis(100));
        consensus.set(false, 1, "e2");
        offset.set(500_000_000L);
        int before = consensus.yields();
        long t0 = System.nanoTime();
        consensus.set(true, 2, "e1");
        await().atMost(Duration.ofSeconds(5)).until(() -> consensus.yields() > before);
        long firstMs = (System.nanoTime() - t0) / 1_000_000;
        consensus.set(false, 2, "e3");
        t0 = System.nanoTime();
        consensus.set(true, 3, "e1"); // a second win within the 3 s cooldown
        await().atMost(Duration.ofSeconds(5)).until(() -> consensus.yields() > before + 1);
        long secondMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("skewed winner: handed term 2 over after %d ms, term 3 after %d ms%n", firstMs, secondMs);
        assertThat(secondMs).as("no cooldown across terms").isLessThan(1_500);
        assertThat(consensus.committedTimeline().term()).as("neither term was taken over").isEqualTo(1);
    }

    @Test
    void commitFailuresAreReportedHandOverAndFailTheTempoRequest() throws Exception {
        Leader leader = startLeader();
        leader.consensus().failCommits("No space left on device");
        var result = leader.node().requestTempo(250, "test");
        assertThat(result).failsWithin(Duration.ofSeconds(5));
        assertThat(leader.node().healthProblems())
                .anySatisfy(p -> assertThat(p).contains("not committed").contains("No space left on device"));

        // a new term that cannot record its take-over: the node hands over instead of leading silently
        leader.consensus().set(true, 5, "e1");
        await().atMost(Duration.ofSeconds(10)).until(() -> leader.consensus().yields() >= 1);
        assertThat(leader.node().healthProblems()).anySatisfy(p -> assertThat(p).contains("take-over in term 5"));
    }
}
