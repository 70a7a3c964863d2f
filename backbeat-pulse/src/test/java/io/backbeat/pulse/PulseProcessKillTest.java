package io.backbeat.pulse;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClusterId;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.testkit.NatsTestServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Pulse nodes as separate OS processes (each backend); the leader is killed with SIGKILL. */
class PulseProcessKillTest {
    @TempDir
    Path dir;
    private NatsTestServer nats;
    private final Map<String, Process> procs = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        procs.values().forEach(Process::destroyForcibly);
        if (nats != null) {
            nats.close();
        }
    }


    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ratis", "atomix"})
    void killingTheLeaderProcessHandsTheBeatToAnotherNodeOnTheSameGrid(String consensus) throws Exception {
        nats = NatsTestServer.start();
        String cluster = "pulse-kill";
        List<BeatFrame> frames = new CopyOnWriteArrayList<>();
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        try (Connection observer = Nats.connect(nats.url())) {
            Dispatcher d = observer.createDispatcher(m -> {
                BeatFrame f = BackbeatCodec.decodeFrame(m.getData());
                synchronized (frames) {
                    arrivals.add(System.nanoTime());
                    frames.add(f);
                }
            });
            d.subscribe(ClusterId.beatSubject(cluster));
            String peers = "k1@127.0.0.1:" + NatsTestServer.freePort() + ",k2@127.0.0.1:" + NatsTestServer.freePort()
                    + ",k3@127.0.0.1:" + NatsTestServer.freePort();
            String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            for (String id : List.of("k1", "k2", "k3")) {
                List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m"));
                PulseMain.ADD_OPENS.forEach(pkg -> cmd.add("--add-opens=" + pkg + "=ALL-UNNAMED"));
                cmd.addAll(List.of("-cp", cp, PulseMain.class.getName(),
                        "--cluster", cluster, "--node-id", id, "--bpm", "240", "--bar", "4", "--min-bpm", "30",
                        "--max-bpm", "300", "--phases", "plan,execute,review", "--nats", nats.url(),
                        "--admin-port", "0", "--peers", peers, "--data-dir", dir.resolve(id).toString(),
                        "--consensus", consensus));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(id + ".log").toFile());
                procs.put(id, pb.start());
            }
            long started = System.nanoTime();
            await().atMost(Duration.ofSeconds(90)).until(() -> frames.size() >= 12);
            System.out.printf("processes on %s: 12 frames %d ms after launch%n", consensus,
                    (System.nanoTime() - started) / 1_000_000);
            BeatFrame last = frames.get(frames.size() - 1);
            String leaderId = last.leaderId();
            long term1 = last.term();
            long killedAt = System.nanoTime();
            procs.get(leaderId).destroyForcibly().waitFor();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> frames.get(frames.size() - 1).term() > term1);
            long firstNewTerm;
            synchronized (frames) {
                int i = 0;
                while (frames.get(i).term() <= term1) {
                    i++;
                }
                firstNewTerm = arrivals.get(i);
            }
            long gapMs = (firstNewTerm - killedAt) / 1_000_000;
            int mark = frames.size();
            await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() >= mark + 6);
            List<Long> keys = new ArrayList<>();
            for (BeatFrame f : frames) {
                keys.add(f.beatIndex() * 3 + f.phaseIndex());
            }
            assertThat(new HashSet<>(keys)).hasSize(keys.size());
            for (int i = 1; i < keys.size(); i++) {
                assertThat(keys.get(i)).isGreaterThan(keys.get(i - 1));
            }
            BeatFrame after = frames.get(frames.size() - 1);
            assertThat(after.leaderId()).isNotEqualTo(leaderId);
            assertThat(after.term()).isGreaterThan(term1);
            System.out.printf("process kill (%s): leader %s (term %d) SIGKILLed; %s publishes in term %d, first frame"
                    + " %d ms after the kill%n", consensus, leaderId, term1, after.leaderId(), after.term(), gapMs);
            // Ratis: the promise (next frame within 2.5 s of any single fault). Atomix elects through a
            // session timeout it does not let us tune: 3-6 s measured, documented in docs/benchmarks.md
            assertThat(gapMs).isLessThan(consensus.equals("ratis") ? 2_500 : 60_000);
        }
    }
}
