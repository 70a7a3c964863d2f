package io.backbeat.pulse.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backbeat.api.BeatFrame;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.pulse.Backup;
import io.backbeat.pulse.fault.Observer;
import io.backbeat.pulse.fault.PulseProcessCluster;
import io.backbeat.testkit.NatsTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Operating the Raft group with real pulse processes (Ratis) on a real nats-server: membership changes
 * while the beat goes on, snapshots that bound the log, a member with a wiped data dir rejoining from a
 * snapshot, and a backup restored into a fresh cluster on the same grid. Each asserts what users are
 * promised: no (beat, phase) twice or backwards at a subscriber, no frame of a superseded term, no
 * silence over 2.5 s.
 */
@Timeout(180)
class RaftOperationsProcessTest {
    private static final double PROMISED_GAP_MS = 2500;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<PulseProcessCluster> clusters = new ArrayList<>();
    private NatsTestServer nats;
    private Observer observer;
    private Path base;

    @BeforeEach
    void setUp(TestInfo info) throws Exception {
        nats = NatsTestServer.start();
        base = Path.of("target", "ops", info.getTestMethod().orElseThrow().getName() + "-"
                + Long.toHexString(System.nanoTime())).toAbsolutePath();
        Files.createDirectories(base);
    }

    @AfterEach
    void tearDown() {
        if (observer != null) {
            observer.close();
        }
        clusters.forEach(PulseProcessCluster::close);
        if (nats != null) {
            nats.close();
        }
    }

    private PulseProcessCluster cluster(PulseProcessCluster.Builder b) {
        PulseProcessCluster c = b.build();
        clusters.add(c);
        return c;
    }

    @Test
    void snapshotsBoundTheLogAndAWipedMemberRejoinsFromOne() throws Exception {
        PulseProcessCluster c = cluster(PulseProcessCluster.builder(nats.url(), base.resolve("c")).cluster("ops-snap")
                .nodes("s1", "s2", "s3").cgroups(false).flags(with(PulseProcessCluster.DEFAULT_FLAGS,
                        "--snapshot-every", "5")));
        observer = Observer.connect(nats.url(), "ops-snap");
        c.startAll();
        assertThat(observer.awaitFrames(12, Duration.ofSeconds(60))).isTrue();
        String leader = observer.currentLeader();
        // 40 tempo changes (each replaces the pending one): 40 log entries, a snapshot every 5
        for (int i = 0; i < 40; i++) {
            Response r = send(c, leader, "POST", "/tempo", "{\"tempo_bpm\": " + (i % 2 == 0 ? 250 : 240) + "}");
            assertThat(r.status()).as("tempo change %d: %s", i, r.body()).isEqualTo(200);
        }
        Thread.sleep(2000);
        for (String id : c.ids()) {
            Path group = groupDir(c.node(id).dataDir());
            long segments = count(group.resolve("current"), "log_");
            long snapshots = count(group.resolve("sm"), "snapshot.") - count(group.resolve("sm"), ".md5");
            System.out.printf(Locale.ROOT, "raft ops: %s after 40 commands: %d log segments, %d snapshots, %d bytes%n",
                    id, segments, snapshots, size(group));
            assertThat(snapshots).as("%s snapshots (2 kept)", id).isBetween(1L, 2L);
            assertThat(segments).as("%s log segments (purged up to the snapshot)", id).isLessThanOrEqualTo(4);
        }

        // a follower loses its disk: it comes back empty and must catch up from the leader's snapshot
        String wiped = c.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
        long faultAt = System.nanoTime();
        c.kill(wiped);
        deleteTree(c.node(wiped).dataDir());
        long restartAt = System.nanoTime();
        c.start(wiped);
        String ready = "";
        while (System.nanoTime() - restartAt < 30_000_000_000L && !ready.startsWith("200")) {
            Thread.sleep(200);
            ready = body(c, wiped, "/ready");
        }
        double readyMs = (System.nanoTime() - restartAt) / 1e6;
        String timeline = body(c, wiped, "/tempo");
        System.out.printf(Locale.ROOT, "raft ops: %s wiped and restarted: ready after %.0f ms; /tempo %s%n", wiped,
                readyMs, timeline);
        assertThat(ready).as("the wiped member is ready again; log %s", c.node(wiped).log()).startsWith("200");
        assertThat(readyMs).as("ms to ready after a wiped restart").isLessThanOrEqualTo(15_000);
        JsonNode wipedTempo = JSON.readTree(c.admin(wiped, "/tempo").body());
        JsonNode leaderTempo = JSON.readTree(c.admin(leader, "/tempo").body());
        assertThat(wipedTempo.path("current_bpm").asDouble()).as("the wiped member knows the replicated timeline")
                .isEqualTo(leaderTempo.path("current_bpm").asDouble()).isPositive();
        assertThat(wipedTempo.path("pending_bpm")).isEqualTo(leaderTempo.path("pending_bpm"));
        long installed = count(groupDir(c.node(wiped).dataDir()).resolve("sm"), "snapshot.");
        System.out.printf(Locale.ROOT, "raft ops: %s has %d snapshot file(s) after rejoining%n", wiped, installed);
        assertPromises(faultAt, System.nanoTime());
    }

    @Test
    void growThreeToFiveAndShrinkBackWhileTheBeatGoesOn() throws Exception {
        PulseProcessCluster c = cluster(PulseProcessCluster.builder(nats.url(), base.resolve("c")).cluster("ops-grow")
                .nodes("g1", "g2", "g3", "g4", "g5").initialMembers("g1", "g2", "g3").cgroups(false));
        observer = Observer.connect(nats.url(), "ops-grow");
        for (String id : List.of("g1", "g2", "g3")) {
            c.start(id);
        }
        assertThat(observer.awaitFrames(12, Duration.ofSeconds(60))).isTrue();
        long faultAt = System.nanoTime();
        String leader = observer.currentLeader();
        assertThat(members(c, leader)).containsExactly("g1", "g2", "g3");

        // g4 and g5 start without --bootstrap, know nothing yet, and are added one at a time
        for (String id : List.of("g4", "g5")) {
            c.start(id);
            long t0 = System.nanoTime();
            Response r = send(c, leader, "POST", "/members", "{\"id\": \"" + id + "\", \"address\": \""
                    + address(c, id) + "\"}");
            System.out.printf(Locale.ROOT, "raft ops: add %s: %d in %.0f ms: %s%n", id, r.status(),
                    (System.nanoTime() - t0) / 1e6, r.body());
            assertThat(r.status()).as("POST /members %s: %s", id, r.body()).isEqualTo(200);
        }
        assertThat(members(c, leader)).containsExactly("g1", "g2", "g3", "g4", "g5");
        awaitClusterSize(c, List.of("g1", "g2", "g3", "g4", "g5"), 5);
        Thread.sleep(2000);

        // leadership moves to a new member on request, then the two are removed again
        Response moved = send(c, leader, "POST", "/leader/transfer", "{\"id\": \"g4\"}");
        assertThat(moved.status()).as("transfer: %s", moved.body()).isEqualTo(200);
        assertThat(observer.awaitArrival(Duration.ofSeconds(10), a -> a.get(a.size() - 1).frame().leaderId()
                .equals("g4"))).as("g4 publishes after the transfer").isTrue();
        Response bad = send(c, "g1", "DELETE", "/members/nobody", null);
        assertThat(bad.status()).as("removing a stranger: %s", bad.body()).isEqualTo(400);
        for (String id : List.of("g5", "g4")) {
            Response r = send(c, "g1", "DELETE", "/members/" + id, null);
            System.out.printf(Locale.ROOT, "raft ops: remove %s: %d %s%n", id, r.status(), r.body());
            assertThat(r.status()).as("DELETE /members/%s: %s", id, r.body()).isEqualTo(200);
        }
        awaitClusterSize(c, List.of("g1", "g2", "g3"), 3);
        assertThat(observer.awaitArrival(Duration.ofSeconds(10), a -> List.of("g1", "g2", "g3")
                .contains(a.get(a.size() - 1).frame().leaderId()))).as("an original member leads again").isTrue();
        c.signalTerm("g4");
        c.signalTerm("g5");
        Thread.sleep(3000);
        assertPromises(faultAt, System.nanoTime());
    }

    @Test
    void aBackupRestoredIntoAFreshClusterContinuesTheSameGrid() throws Exception {
        PulseProcessCluster a = cluster(PulseProcessCluster.builder(nats.url(), base.resolve("a")).cluster("ops-restore")
                .nodes("r1", "r2", "r3").cgroups(false));
        observer = Observer.connect(nats.url(), "ops-restore");
        a.startAll();
        assertThat(observer.awaitFrames(12, Duration.ofSeconds(60))).isTrue();
        Response backup = send(a, observer.currentLeader(), "GET", "/backup", null);
        assertThat(backup.status()).as("GET /backup: %s", backup.body()).isEqualTo(200);
        Path file = base.resolve("backup.json");
        Files.writeString(file, backup.body());
        Backup read = Backup.read(file);
        TimelineDescriptor grid = read.timeline();
        BeatFrame lastOfA = observer.last().frame();
        a.close();

        // a whole new cluster (new ids, empty data dirs) from the backup file
        PulseProcessCluster b = cluster(PulseProcessCluster.builder(nats.url(), base.resolve("b")).cluster("ops-restore")
                .nodes("n1", "n2", "n3").cgroups(false).flags(with(PulseProcessCluster.DEFAULT_FLAGS,
                        "--restore-from", file.toString())));
        long restartAt = System.nanoTime();
        int before = observer.count();
        b.startAll();
        assertThat(observer.awaitMoreFrames(12, Duration.ofSeconds(60))).isTrue();
        System.out.printf(Locale.ROOT, "raft ops: restored cluster's first frame %.0f ms after launch; backup %s%n",
                (observer.arrivals().get(before).nanos() - restartAt) / 1e6, backup.body());
        Timeline t = Timeline.of(grid);
        List<Observer.Arrival> fromB = observer.arrivals().subList(before, observer.count());
        for (Observer.Arrival arrival : fromB) {
            BeatFrame f = arrival.frame();
            assertThat(f.leaderId()).startsWith("n");
            assertThat(EpochNanos.of(f.deadlineAt()) / 1_000_000).as("on the backed-up grid: %s", f)
                    .isEqualTo(t.deadlineNanos(f.beatIndex(), f.phaseIndex()) / 1_000_000);
        }
        assertThat(fromB.get(0).frame().beatIndex()).as("beat indexes continue").isGreaterThan(lastOfA.beatIndex());
        JsonNode tempo = JSON.readTree(b.admin("n1", "/tempo").body());
        assertThat(tempo.path("current_bpm").asDouble()).isEqualTo(grid.tempoBpm());
        assertThat(observer.duplicateOrBackwardDetails()).isEmpty();
    }

    // ------------------------------------------------------------------ helpers

    private void assertPromises(long fromNanos, long toNanos) {
        assertThat(observer.maxSilenceMs(fromNanos, toNanos)).as("longest silence (ms)\n%s",
                observer.describeAround(fromNanos, 2, 4)).isLessThanOrEqualTo(PROMISED_GAP_MS);
        assertThat(observer.duplicateOrBackwardDetails()).as("duplicate or backwards (beat, phase)").isEmpty();
        assertThat(observer.supersededTermDetails()).as("superseded-term frames").isEmpty();
    }

    private static List<String> with(List<String> flags, String... more) {
        List<String> out = new ArrayList<>(flags);
        out.addAll(List.of(more));
        return out;
    }

    private static String address(PulseProcessCluster c, String id) {
        return "127.0.0.1:" + c.node(id).raftPort();
    }

    private List<String> members(PulseProcessCluster c, String id) throws Exception {
        JsonNode m = JSON.readTree(c.admin(id, "/members").body());
        List<String> ids = new ArrayList<>();
        m.path("members").forEach(n -> ids.add(n.path("id").asText()));
        return ids;
    }

    private void awaitClusterSize(PulseProcessCluster c, List<String> ids, int size) throws Exception {
        long end = System.nanoTime() + 20_000_000_000L;
        for (String id : ids) {
            int seen = -1;
            while (System.nanoTime() < end && seen != size) {
                seen = JSON.readTree(c.admin(id, "/leader").body()).path("cluster_size").asInt(-1);
                if (seen != size) {
                    Thread.sleep(200);
                }
            }
            assertThat(seen).as("cluster_size on %s", id).isEqualTo(size);
        }
    }

    private record Response(int status, String body) {
    }

    private Response send(PulseProcessCluster c, String id, String method, String path, String json) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.node(id).adminPort() + path))
                .timeout(Duration.ofSeconds(40));
        if (json != null) {
            r.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        } else {
            r.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(resp.statusCode(), resp.body());
    }

    private String body(PulseProcessCluster c, String id, String path) {
        try {
            PulseProcessCluster.AdminResponse r = c.admin(id, path);
            return r.status() + " " + r.body();
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** The Ratis group directory inside a data dir (one UUID-named directory). */
    private static Path groupDir(Path dataDir) throws IOException {
        try (Stream<Path> s = Files.list(dataDir)) {
            return s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().matches("[0-9a-f-]{36}"))
                    .findFirst().orElseThrow(() -> new IOException("no Ratis group dir in " + dataDir));
        }
    }

    private static long count(Path dir, String prefix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)
                    || (prefix.startsWith(".") && p.getFileName().toString().endsWith(prefix))).count();
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
