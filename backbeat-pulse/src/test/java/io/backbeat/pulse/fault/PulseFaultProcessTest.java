package io.backbeat.pulse.fault;

import io.backbeat.hlc.HlcTimestamp;
import io.backbeat.testkit.NatsTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;
import static org.awaitility.Awaitility.await;

/**
 * Three Ratis pulse processes (240 BPM, bar 4, plan/execute/review) under real faults, each test asserting
 * what users are promised: the next frame within 2.5 s of the fault, no frame of a superseded term once a
 * newer term has published, no (beat, phase) twice or backwards at an outside subscriber; a node told to
 * stop stops; a node that cannot start exits non-zero. Figures are printed on lines starting {@code fault }.
 * Logs and data dirs stay in {@code target/fault/<test>-<run>}.
 */
@Timeout(value = 90)
class PulseFaultProcessTest {
    private static final double PROMISED_GAP_MS = 2500;
    private static final String CLUSTER = "fault";

    private NatsTestServer nats;
    private List<NatsTestServer> natsCluster = List.of();
    private final List<Path> mounts = new java.util.ArrayList<>();
    private PulseProcessCluster cluster;
    private Observer observer;
    private Path base;

    @BeforeEach
    void setUp(TestInfo info) throws Exception {
        nats = NatsTestServer.start();
        base = Path.of("target", "fault", info.getTestMethod().orElseThrow().getName() + "-"
                + Long.toHexString(System.nanoTime())).toAbsolutePath();
        Files.createDirectories(base);
    }

    @AfterEach
    void tearDown() {
        if (observer != null) {
            observer.close();
        }
        if (cluster != null) {
            cluster.close();
            String left = HostFaults.run(List.of("sh", "-c", "iptables -S 2>/dev/null | grep -F -- '"
                    + cluster.ruleComment() + "' || true")).output();
            List<String> cgroups = HostFaults.cgroup2Root().map(root -> {
                try (Stream<Path> s = Files.list(root)) {
                    return s.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith("backbeat-" + cluster.runId())).toList();
                } catch (IOException e) {
                    return List.<String>of();
                }
            }).orElse(List.of());
            assertThat(left).as("iptables rules left by run %s", cluster.runId()).isEmpty();
            assertThat(cgroups).as("cgroup dirs left by run %s", cluster.runId()).isEmpty();
        }
        if (nats != null) {
            nats.close();
        }
        natsCluster.forEach(NatsTestServer::close);
        for (Path m : mounts) {
            HostFaults.run(List.of("umount", "-l", m.toString()));
        }
        String mounted = HostFaults.run(List.of("sh", "-c", "grep -F -- '" + base + "' /proc/mounts || true")).output();
        assertThat(mounted).as("tmpfs mounts left under %s", base).isEmpty();
    }

    private PulseProcessCluster.Builder builder() {
        return PulseProcessCluster.builder(nats.url(), base).cluster(CLUSTER).nodes("f1", "f2", "f3");
    }

    private static void assumeIptablesAndCgroups() {
        Optional<String> problem = HostFaults.partitionProblem();
        Assumptions.assumeTrue(problem.isEmpty(),
                () -> "needs root with iptables and cgroup v2: " + problem.orElse(""));
    }

    /** Starts three nodes and an observer; returns once 12 frames have arrived. */
    private void startCluster() throws Exception {
        startCluster(builder(), nats.url());
    }

    private void startCluster(PulseProcessCluster.Builder b, String observerNats) throws Exception {
        startCluster(b, observerNats, null);
    }

    /**
     * Starts the cluster and waits for 12 frames and for every member (but {@code notReady}, a node
     * whose clock is wrong from the start) to answer {@code /ready} 200: a fault is injected into a
     * healthy cluster, not into one whose last member is still catching up (that is a second fault).
     */
    private void startCluster(PulseProcessCluster.Builder b, String observerNats, String notReady) throws Exception {
        cluster = b.build();
        observer = Observer.connect(observerNats, CLUSTER);
        long t0 = System.nanoTime();
        cluster.startAll();
        assertThat(observer.awaitFrames(12, Duration.ofSeconds(60)))
                .as("12 frames within 60 s of launch; logs in %s", base).isTrue();
        for (String id : cluster.ids()) {
            if (id.equals(notReady)) {
                continue;
            }
            java.util.concurrent.atomic.AtomicReference<String> last = new java.util.concurrent.atomic.AtomicReference<>("-");
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .until(() -> {
                            String r = adminBody(id, "/ready");
                            last.set(r);
                            return r.startsWith("200 ");
                        });
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError(id + " /ready 200 before the fault within 60 s; last answer: " + last.get()
                        + "; logs in " + base, e);
            }
        }
        System.out.printf(Locale.ROOT, "fault setup: 3 ratis processes, 12 frames %d ms after launch (run %s)%n",
                (System.nanoTime() - t0) / 1_000_000, cluster.runId());
    }

    /** The promises after a fault at {@code faultAt}, observed until {@code endAt}. */
    private void assertPromises(String name, String leader, long term, long faultAt, long endAt) {
        assertPromises(name, leader, term, faultAt, endAt, true);
    }

    /** As above; {@code newLeader}: the fault must move the beat to another term or leader. */
    private void assertPromises(String name, String leader, long term, long faultAt, long endAt, boolean newLeader) {
        double first = observer.gapAfterMs(faultAt);
        double handOver = observer.gapToNewLeadershipMs(faultAt);
        double silence = observer.maxSilenceMs(faultAt, endAt);
        int superseded = observer.supersededTermFrames();
        int dupBack = observer.duplicateOrBackwardPairs();
        Observer.Arrival lastFrame = observer.last();
        System.out.printf(Locale.ROOT, "fault %s: leader %s (term %d); first frame after %.0f ms, first frame of "
                        + "another term/leader after %.0f ms (%s), longest silence %.0f ms; superseded-term frames %d, "
                        + "duplicate/backwards pairs %d; %d frames, terms %s%n", name, leader, term, first, handOver,
                lastFrame == null ? "-" : lastFrame.frame().leaderId() + " term " + lastFrame.frame().term(), silence,
                superseded, dupBack, observer.count(), observer.terms());
        String around = "frames around the fault:\n" + observer.describeAround(faultAt, 4, 6) + "logs in " + base;
        assertSoftly(s -> {
            s.assertThat(first).as("ms to the first frame after the fault\n%s", around)
                    .isBetween(0.0, PROMISED_GAP_MS);
            s.assertThat(silence).as("longest silence (ms) from the fault to the end of observation\n%s", around)
                    .isLessThanOrEqualTo(PROMISED_GAP_MS);
            if (newLeader) {
                s.assertThat(handOver).as("ms to the first frame of a new term or leader\n%s", around)
                        .isBetween(0.0, PROMISED_GAP_MS);
            }
            s.assertThat(observer.supersededTermDetails()).as("frames of a superseded term").isEmpty();
            s.assertThat(observer.duplicateOrBackwardDetails()).as("duplicate or backwards (beat, phase)").isEmpty();
        });
    }

    @Test
    void aLeaderFrozenWithSigstopForFiveSecondsIsReplacedAndStaysFencedAfterSigcont() throws Exception {
        startCluster();
        String leader = observer.currentLeader();
        long term = observer.currentTerm();
        long faultAt = System.nanoTime();
        cluster.stop(leader);
        Thread.sleep(5000);
        cluster.cont(leader);
        long contAt = System.nanoTime();
        Thread.sleep(5000);
        long endAt = System.nanoTime();
        System.out.printf(Locale.ROOT, "fault stopcont: after SIGCONT of %s: first frame after %.0f ms, longest "
                        + "silence %.0f ms%n", leader, observer.gapAfterMs(contAt),
                observer.maxSilenceMs(contAt, endAt));
        assertPromises("stopcont", leader, term, faultAt, endAt);
    }

    @Test
    void aLeaderPartitionedFromItsPeersForFiveSecondsIsReplacedAndStaysFencedAfterHealing() throws Exception {
        assumeIptablesAndCgroups();
        startCluster();
        String leader = observer.currentLeader();
        long term = observer.currentTerm();
        long faultAt = System.nanoTime();
        cluster.partition(leader);
        Thread.sleep(4000);
        // NATS still flows to the cut-off node (it keeps observing frames); Raft does not (it lost the lead)
        String during = adminBody(leader, "/leader");
        Thread.sleep(1000);
        String dropped = cluster.droppedPackets();
        cluster.heal(leader);
        System.out.printf(Locale.ROOT, "fault partition: iptables dropped %s while %s was cut off; its /leader 4 s "
                + "in: %s%n", dropped, leader, during);
        long healAt = System.nanoTime();
        Thread.sleep(5000);
        long endAt = System.nanoTime();
        String view = adminBody(leader, "/leader");
        System.out.printf(Locale.ROOT, "fault partition: after healing %s: first frame after %.0f ms, longest "
                + "silence %.0f ms; its /leader now %s%n", leader, observer.gapAfterMs(healAt),
                observer.maxSilenceMs(healAt, endAt), view);
        assertPromises("partition", leader, term, faultAt, endAt);
    }

    @Test
    void sigtermOfANodeWhosePeersWereKilledExitsWithinThreeSeconds() throws Exception {
        startCluster();
        String survivor = observer.currentLeader();
        for (String id : cluster.ids()) {
            if (!id.equals(survivor)) {
                cluster.kill(id);
            }
        }
        Thread.sleep(1000);
        long nanos = cluster.term(survivor, Duration.ofSeconds(30));
        Integer status = nanos < 0 ? null : cluster.node(survivor).process().exitValue();
        System.out.printf(Locale.ROOT, "fault term-alone: %s (was leader) SIGTERMed 1 s after both peers were "
                        + "SIGKILLed: exited after %s with status %s%n", survivor,
                nanos < 0 ? "more than 30000 ms (still running)" : String.format(Locale.ROOT, "%.0f ms", nanos / 1e6),
                status);
        assertThat(nanos).as("ns from SIGTERM to exit (-1 = still running after 30 s); log:\n%s",
                tail(cluster.log(survivor))).isBetween(0L, 3_000_000_000L); // the promise: 3 s
    }

    @Test
    void aNodeWhoseDataDirIsARegularFileExitsNonZeroAndSaysWhy() throws Exception {
        Path file = base.resolve("not-a-dir");
        Files.writeString(file, "a regular file where the data dir should be\n");
        cluster = builder().dataDir("f1", file).build();
        long t0 = System.nanoTime();
        cluster.start("f1");
        Integer status = cluster.awaitExit("f1", Duration.ofSeconds(20));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String log = cluster.log("f1");
        System.out.printf(Locale.ROOT, "fault bad-data-dir (regular file): %s; cause in log: %s%n",
                status == null ? "still running after " + ms + " ms" : "exited " + status + " after " + ms + " ms",
                causeLine(log, file.toString()));
        assertThat(status).as("exit status within 20 s (null = still running); log:\n%s", tail(log)).isNotNull();
        assertThat(status).as("exit status").isNotZero();
        assertThat(log).as("the log names the data dir").contains(file.toString());
    }

    @Test
    void aNodeWhoseRaftStorageIsCorruptExitsNonZeroAndSaysWhy() throws Exception {
        startCluster();
        cluster.kill("f1");
        cluster.kill("f2");
        cluster.kill("f3");
        // the Ratis layout under a data dir: <group uuid>/current/{raft-meta, log_inprogress_N, ...}
        Path meta;
        try (Stream<Path> s = Files.walk(cluster.node("f1").dataDir())) {
            meta = s.filter(p -> p.getFileName().toString().equals("raft-meta")).findFirst().orElse(null);
        }
        assertThat(meta).as("raft-meta under %s", cluster.node("f1").dataDir()).isNotNull();
        try (Stream<Path> s = Files.list(meta.getParent())) {
            s.filter(p -> p.getFileName().toString().startsWith("log_")
                            || p.getFileName().toString().startsWith("raft-meta"))
                    .forEach(p -> {
                        try {
                            Files.write(p, new byte[]{(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0, 0, 0, 7});
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
        }
        long t0 = System.nanoTime();
        cluster.start("f1");
        Integer status = cluster.awaitExit("f1", Duration.ofSeconds(20));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String log = cluster.log("f1");
        String thisRun = log.substring(log.lastIndexOf("=== start"));
        System.out.printf(Locale.ROOT, "fault corrupt-storage (garbage raft-meta and log segments): %s; "
                        + "cause in log: %s%n",
                status == null ? "still running after " + ms + " ms" : "exited " + status + " after " + ms + " ms",
                causeLine(thisRun, "raft-meta"));
        assertThat(status).as("exit status within 20 s (null = still running); log:\n%s", tail(thisRun)).isNotNull();
        assertThat(status).as("exit status").isNotZero();
        assertThat(thisRun).as("the log names the bad file").contains("raft-meta");
    }

    @Test
    void aLeaderWhoseNatsConnectionGoesSilentHandsOverAndNothingArrivesLate() throws Exception {
        assumeIptablesAndCgroups();
        startCluster();
        String leader = observer.currentLeader();
        long term = observer.currentTerm();
        long faultAt = System.nanoTime();
        // every packet the leader sends to NATS is dropped: the socket stays open, frames go nowhere
        cluster.cutOutbound(leader, nats.port());
        Thread.sleep(5000);
        cluster.heal(leader);
        long healAt = System.nanoTime();
        Thread.sleep(5000);
        long endAt = System.nanoTime();
        System.out.printf(Locale.ROOT, "fault natscut: after healing %s: longest silence %.0f ms; its /leader %s%n",
                leader, observer.maxSilenceMs(healAt, endAt), adminBody(leader, "/leader"));
        assertPromises("natscut", leader, term, faultAt, endAt);
    }

    @Test
    void losingTheLeadersNatsServerFromAThreeServerNatsClusterKeepsTheBeat() throws Exception {
        natsCluster = NatsTestServer.cluster(3);
        NatsTestServer.awaitRouted(natsCluster);
        List<String> urls = natsCluster.stream().map(NatsTestServer::url).toList();
        PulseProcessCluster.Builder b = PulseProcessCluster.builder(urls.get(0), base).cluster(CLUSTER)
                .nodes("f1", "f2", "f3");
        List<String> ids = List.of("f1", "f2", "f3");
        for (int i = 0; i < 3; i++) {
            // each node prefers its own server, the others are its failover
            b.nodeFlags(ids.get(i), "--nats", urls.get(i) + "," + urls.get((i + 1) % 3) + "," + urls.get((i + 2) % 3));
        }
        startCluster(b, urls.get(0));
        String leader = observer.currentLeader();
        int lost = ids.indexOf(leader);
        // watch from a server that stays up
        observer.close();
        observer = Observer.connect(urls.get((lost + 1) % 3), CLUSTER);
        assertThat(observer.awaitFrames(6, Duration.ofSeconds(10))).isTrue();
        long term = observer.currentTerm();
        long faultAt = System.nanoTime();
        natsCluster.get(lost).stop();
        Thread.sleep(6000);
        long endAt = System.nanoTime();
        // the leader's connection fails over to another server: the beat goes on, by the same leader or another
        assertPromises("natsserver", leader, term, faultAt, endAt, false);
    }

    @Test
    void aNodeWhoseClockIsTwoSecondsAheadNeverPublishesAndSaysWhy() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of(HostFaults.LIBFAKETIME)),
                "needs libfaketime at " + HostFaults.LIBFAKETIME + " (scripts/ensure-tools.sh installs Debian's faketime)");
        startCluster(builder().env("f1", PulseProcessCluster.fakeTime("+2s")), nats.url(), "f1");
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.log("f1").contains("withdraws from elections"));
        // elections happen: the leader is frozen three times; f1 stays out of them (and would hand a won term
        // over without publishing)
        for (int round = 0; round < 3; round++) {
            String leader = observer.currentLeader();
            long faultAt = System.nanoTime();
            cluster.stop(leader);
            Thread.sleep(1500);
            cluster.cont(leader);
            Thread.sleep(2500);
            assertThat(observer.gapAfterMs(faultAt)).as("round %d: next frame after freezing %s", round, leader)
                    .isBetween(0.0, PROMISED_GAP_MS);
        }
        // one good node dies: f1 and the survivor are an even split; the survivor's earlier majority verdict
        // (f1 is 2 s off) holds, so it keeps the beat, and f1 stays out of elections and publishes nothing
        String dead = observer.currentLeader().equals("f2") ? "f3" : "f2";
        String survivor = dead.equals("f2") ? "f3" : "f2";
        cluster.kill(dead);
        Thread.sleep(3000);
        for (int round = 0; round < 2; round++) {
            long faultAt = System.nanoTime();
            cluster.stop(survivor);
            Thread.sleep(1500);
            cluster.cont(survivor);
            Thread.sleep(3000);
            assertThat(observer.gapAfterMs(faultAt)).as("two nodes left, round %d: next frame after freezing %s",
                    round, survivor).isBetween(0.0, 1500 + PROMISED_GAP_MS);
        }
        String survivorReady = adminBody(survivor, "/ready");
        System.out.printf(Locale.ROOT, "fault skew: with %s dead, %s /ready %s%n", dead, survivor, survivorReady);
        assertThat(survivorReady).startsWith("200");
        long f1Frames = observer.arrivals().stream().filter(a -> a.frame().leaderId().equals("f1")).count();
        long f1Led = cluster.leadership("f1").terms();
        String ready = adminBody("f1", "/ready");
        String drift = adminBody("f1", "/drift");
        System.out.printf(Locale.ROOT, "fault skew: f1 at +2 s held Raft leadership %d time(s) and published %d "
                + "frames; /ready %s; /drift %s%n", f1Led, f1Frames, ready, drift);
        assertThat(f1Frames).as("frames published by the node 2 s ahead").isZero();
        assertThat(cluster.leadership("f1").termsWhileWithdrawn()).as("terms f1 led after it withdrew from elections").isZero();
        assertThat(ready).startsWith("503").contains("clock offset +");
        assertThat(observer.supersededTermDetails()).isEmpty();
        assertThat(observer.duplicateOrBackwardDetails()).isEmpty();
    }

    /**
     * The one case where a withdrawn node must stand: the leader dies and the newest entry (a tempo change
     * committed while the third node was cut off) is only on the node whose clock is 2 s ahead. Raft lets
     * the third node win only with that node's vote, which its older log cannot get: without the silence
     * rule no one could lead until the dead node came back. The skewed node stands, wins, publishes nothing,
     * brings the third node's log up to date and hands the term over; the tempo change is kept.
     */
    @Test
    void whenOnlyTheSkewedNodeHoldsTheNewestEntryItStandsPublishesNothingAndHandsOverKeepingTheEntry()
            throws Exception {
        assumeIptablesAndCgroups();
        Assumptions.assumeTrue(Files.exists(Path.of(HostFaults.LIBFAKETIME)),
                "needs libfaketime at " + HostFaults.LIBFAKETIME + " (scripts/ensure-tools.sh installs Debian's faketime)");
        startCluster(builder().env("f1", PulseProcessCluster.fakeTime("+2s")), nats.url(), "f1");
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.log("f1").contains("withdraws from elections"));
        String leader = observer.currentLeader();
        String behind = leader.equals("f2") ? "f3" : "f2";
        long term = observer.currentTerm();
        cluster.partition(behind);
        Thread.sleep(1000);
        PulseProcessCluster.AdminResponse tempo = postTempo(leader, 250);
        assertThat(tempo.status()).as("POST /tempo on %s while %s is cut off: %s", leader, behind, tempo.body())
                .isEqualTo(200);
        Thread.sleep(500);
        long faultAt = System.nanoTime();
        // the leader is cut off too before it dies: its kernel keeps resending what the dead process had sent
        // (orphaned sockets), which would bring the cut-off node's log up to date once it is healed
        cluster.partition(leader);
        cluster.kill(leader);
        String dropped = cluster.droppedPackets();
        cluster.heal(behind);
        boolean back = observer.awaitArrival(Duration.ofSeconds(20),
                a -> a.get(a.size() - 1).nanos() > faultAt && a.get(a.size() - 1).frame().leaderId().equals(behind));
        Thread.sleep(3000);
        long endAt = System.nanoTime();
        cluster.heal(leader);
        double gap = observer.gapAfterMs(faultAt);
        long f1Frames = observer.arrivals().stream().filter(a -> a.frame().leaderId().equals("f1")).count();
        List<Observer.Arrival> after = observer.arrivals().stream().filter(a -> a.nanos() > faultAt).toList();
        boolean tempoKept = !after.isEmpty() && after.stream().allMatch(a -> a.frame().tempoBpm() == 250
                || (a.frame().nextTempo() != null && a.frame().nextTempo().tempoBpm() == 250));
        String f1Log = cluster.log("f1");
        System.out.printf(Locale.ROOT, "fault lastentry: %s (term %d) killed after a tempo change only f1 (+2 s) "
                        + "holds; first frame after %.0f ms, from %s; longest silence %.0f ms; f1 published %d frames, "
                        + "held Raft leadership %d time(s); tempo 250 kept: %s; frames %d, terms %s; iptables dropped "
                        + "%s while %s was cut off%n", leader, term,
                gap, after.isEmpty() ? "-" : after.get(0).frame().leaderId() + " term " + after.get(0).frame().term(),
                observer.maxSilenceMs(faultAt, endAt), f1Frames, cluster.leadership("f1").terms(), tempoKept,
                observer.count(), observer.terms(), dropped, behind);
        String around = "frames around the fault:\n" + observer.describeAround(faultAt, 4, 6) + "logs in " + base;
        assertThat(back).as("%s publishes after the leader died\n%s", behind, around).isTrue();
        // two faults at once and a silence rule that waits a second beyond the phase: 2.5 s plus that second
        assertThat(gap).as("ms to the first frame after the fault\n%s", around).isBetween(0.0, PROMISED_GAP_MS + 1000);
        assertThat(observer.maxSilenceMs(faultAt, endAt)).as("longest silence (ms) after the fault\n%s", around)
                .isLessThanOrEqualTo(PROMISED_GAP_MS + 1000);
        assertThat(f1Log).contains("stands for election although it must not lead");
        assertThat(cluster.leadership("f1").terms()).as("Raft terms f1 held (the newest entry was only on f1, so "
                + "no one else could be elected before it)\n%s", around).isGreaterThanOrEqualTo(1);
        assertThat(f1Frames).as("frames published by the node 2 s ahead").isZero();
        assertThat(tempoKept).as("every frame after the fault carries the tempo change only f1 held\n%s", around)
                .isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.log("f1").contains("withdraws from elections again"));
        assertThat(observer.supersededTermDetails()).isEmpty();
        assertThat(observer.duplicateOrBackwardDetails()).isEmpty();
    }

    @Test
    void aLeaderWhoseClockRunsFastHandsOverAsItsOffsetPassesTheBound() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of(HostFaults.LIBFAKETIME)),
                "needs libfaketime at " + HostFaults.LIBFAKETIME + " (scripts/ensure-tools.sh installs Debian's faketime)");
        try (FakeClockFile f1Clock = new FakeClockFile(base.resolve("f1.faketime"), 1.0)) {
            Map<String, String> env = new java.util.HashMap<>(f1Clock.env());
            // every clock sample f1 takes goes to its log: why a hand-over came when it did can be read there
            env.put("JAVA_TOOL_OPTIONS", "-Dorg.slf4j.simpleLogger.log.io.backbeat.pulse.clock.ClockSync=debug");
            startCluster(builder().env("f1", env), nats.url());
            // f1 must lead when its clock starts to run fast: freeze other leaders until it does
            for (int round = 0; round < 8 && !observer.currentLeader().equals("f1"); round++) {
                String leader = observer.currentLeader();
                cluster.stop(leader);
                Thread.sleep(1200);
                cluster.cont(leader);
                long term = observer.currentTerm();
                observer.awaitArrival(Duration.ofSeconds(5), a -> a.get(a.size() - 1).frame().term() > term);
                Thread.sleep(1000);
            }
            boolean f1Led = observer.currentLeader().equals("f1");
            long faultAt = System.nanoTime();
            f1Clock.rate(1.02); // 20 ms a second: past the 100 ms bound after 5 s
            Thread.sleep(12_000);
            long endAt = System.nanoTime();
            List<Observer.Arrival> fromF1 = observer.arrivals().stream()
                    .filter(a -> a.nanos() > faultAt && a.frame().leaderId().equals("f1")).toList();
            // f1's own clock at each of its frames: the HLC it stamped (its wall clock, 1 ms before the publish)
            // against this JVM's true clock at arrival; the transit makes it read low by a millisecond or so
            double ownOffsetMs = fromF1.stream().mapToDouble(a -> HlcTimestamp.parse(a.frame().hlc()).wallMs()
                    - a.epochNanos() / 1e6).max().orElse(0);
            // the offset libfaketime is given: the process re-reads it every one or two seconds, so its clock
            // trails this figure in steps of up to 40 ms at 2 % and then jumps (seen in the logged samples)
            double modelOffsetAtLastF1Frame = fromF1.isEmpty() ? 0
                    : f1Clock.offsetSecondsAt(fromF1.get(fromF1.size() - 1).nanos()) * 1000;
            String ready = adminBody("f1", "/ready");
            System.out.printf(Locale.ROOT, "fault rate: f1 %s when its clock began to run 2 %% fast; it published %d "
                            + "frames after that; its own clock's largest offset at a frame %.0f ms; the injected "
                            + "offset at its last frame %.0f ms; offset at the end %.0f ms; longest silence %.0f ms; "
                            + "/ready %s%n", f1Led ? "led" : "did not lead (8 rounds)", fromF1.size(), ownOffsetMs,
                    modelOffsetAtLastF1Frame, f1Clock.offsetSeconds() * 1000, observer.maxSilenceMs(faultAt, endAt), ready);
            cluster.log("f1").lines().filter(l -> l.contains("hands leadership over: clock offset")).findFirst()
                    .ifPresent(l -> System.out.println("fault rate: f1's first clock hand-over: " + l));
            // the promise: f1 never publishes while its clock is past the 100 ms bound; 25 ms of slack for the
            // half round trip of the exchange it is judged on (10-40 ms round trips on a loaded CI machine)
            assertThat(ownOffsetMs).as("f1's own clock offset (ms) at its frames; logs in %s", base)
                    .isLessThanOrEqualTo(125);
            assertThat(fromF1).as("f1 led and published after the fault began").isNotEmpty();
            assertThat(cluster.log("f1")).contains("withdraws from elections: clock offset +");
            assertThat(cluster.leadership("f1").termsWhileWithdrawn()).as("terms f1 led after it withdrew from elections").isZero();
            assertThat(observer.arrivals().stream().anyMatch(a -> a.nanos() > endAt - 3_000_000_000L))
                    .as("the beat goes on without f1").isTrue();
            assertThat(observer.maxSilenceMs(faultAt, endAt)).isLessThanOrEqualTo(PROMISED_GAP_MS);
            assertThat(ready).startsWith("503").contains("clock offset +");
            assertThat(observer.supersededTermDetails()).isEmpty();
            assertThat(observer.duplicateOrBackwardDetails()).isEmpty();
        }
    }

    @Test
    void aLeaderWhoseDiskFillsUpHandsOverAndTheFullNodeSaysWhy() throws Exception {
        Assumptions.assumeTrue(HostFaults.run(List.of("id", "-u")).output().equals("0"), "needs root to mount tmpfs");
        PulseProcessCluster.Builder b = builder();
        for (String id : List.of("f1", "f2", "f3")) {
            Path disk = base.resolve("disk-" + id);
            Files.createDirectories(disk);
            HostFaults.runOrThrow(List.of("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", disk.toString()));
            mounts.add(disk);
            b.dataDir(id, disk.resolve("data"));
        }
        startCluster(b, nats.url());
        String full = observer.currentLeader();
        long term = observer.currentTerm();
        long faultAt = System.nanoTime();
        HostFaults.run(List.of("dd", "if=/dev/zero", "of=" + base.resolve("disk-" + full).resolve("fill"), "bs=1M",
                "count=64"));
        Thread.sleep(5000);
        long endAt = System.nanoTime();
        String health = adminBody(full, "/health");
        String ready = adminBody(full, "/ready");
        PulseProcessCluster.AdminResponse tempo = postTempo(full, 250);
        System.out.printf(Locale.ROOT, "fault diskfull: %s's disk filled while it led; /health %s; /ready %s; "
                + "POST /tempo there: %d %s%n", full, health, ready, tempo.status(), tempo.body().replace('\n', ' '));
        assertPromises("diskfull", full, term, faultAt, endAt);
        assertThat(health).startsWith("503").containsAnyOf("disk full", "No space left on device");
        assertThat(ready).startsWith("503").containsAnyOf("disk full", "No space left on device");
        assertThat(tempo.status()).as("a valid change is never 'refused' for a full disk").isNotEqualTo(422);

        // restarted on the full disk: it exits saying why, or runs and says it is not ready
        cluster.kill(full);
        cluster.start(full);
        // it either exits or opens its admin port and says why it is not ready: wait for one or the other
        Integer exit = null;
        String after = "-";
        for (long end = System.nanoTime() + 30_000_000_000L; System.nanoTime() < end; Thread.sleep(250)) {
            if (!cluster.isAlive(full)) {
                exit = cluster.node(full).process().exitValue();
                break;
            }
            after = adminBody(full, "/ready");
            if (after.startsWith("503") || after.startsWith("200")) {
                break;
            }
        }
        System.out.printf(Locale.ROOT, "fault diskfull: %s restarted on the full disk: %s%n", full,
                exit == null ? "running, /ready " + after : "exited with status " + exit);
        if (exit == null) {
            assertThat(after).startsWith("503").containsAnyOf("disk full", "No space left on device");
        } else {
            assertThat(exit).isNotZero();
        }
        assertThat(observer.maxSilenceMs(faultAt, System.nanoTime())).isLessThanOrEqualTo(PROMISED_GAP_MS);
        assertThat(observer.duplicateOrBackwardDetails()).isEmpty();
    }

    private PulseProcessCluster.AdminResponse postTempo(String id, double bpm) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + cluster.node(id).adminPort() + "/tempo"))
                .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"tempo_bpm\": " + bpm + "}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return new PulseProcessCluster.AdminResponse(r.statusCode(), r.body());
    }

    private String adminBody(String id, String path) {
        try {
            PulseProcessCluster.AdminResponse r = cluster.admin(id, path);
            return r.status() + " " + r.body().replace('\n', ' ');
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** The first log line naming {@code hint}, else the first exception line. */
    private static String causeLine(String log, String hint) {
        return log.lines().filter(l -> l.contains(hint) && !l.startsWith("=== start")).findFirst()
                .or(() -> log.lines().filter(l -> l.contains("Exception") || l.contains("Error")).findFirst())
                .map(String::trim).orElse("(none)");
    }

    private static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
