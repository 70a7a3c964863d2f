package io.backbeat.pulse;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClusterId;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.testkit.NatsTestServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shaded jar exactly as an operator runs it ({@code java -jar backbeat-pulse.jar}, no JVM flags:
 * Atomix's add-opens come from the manifest), single node on each backend: it elects itself,
 * publishes frames and answers the admin API.
 */
class PulseJarIT {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"ratis", "atomix"})
    void theJarRunsASingleNodePulse(String consensus) throws Exception {
        Path jar = Path.of(System.getProperty("backbeat.pulse.jar", "target/backbeat-pulse.jar"));
        assertThat(jar).exists();
        try (java.util.jar.JarFile jf = new java.util.jar.JarFile(jar.toFile())) {
            assertThat(jf.getManifest().getMainAttributes().getValue("Add-Opens"))
                    .as("the manifest opens what PulseMain.ADD_OPENS lists").isEqualTo(String.join(" ", PulseMain.ADD_OPENS));
        }
        String cluster = "jar-" + consensus;
        int admin = NatsTestServer.freePort();
        try (NatsTestServer nats = NatsTestServer.start(); Connection nc = Nats.connect(nats.url())) {
            List<BeatFrame> frames = new CopyOnWriteArrayList<>();
            Dispatcher d = nc.createDispatcher(m -> frames.add(BackbeatCodec.decodeFrame(m.getData())));
            d.subscribe(ClusterId.beatSubject(cluster));
            nc.flush(Duration.ofSeconds(5));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Path log = dir.resolve("pulse.log");
            Process p = new ProcessBuilder(java, "-Xmx256m", "-jar", jar.toString(), "--bootstrap",
                    "--consensus", consensus, "--cluster", cluster, "--node-id", "j1", "--nats", nats.url(),
                    "--admin-port", String.valueOf(admin), "--bpm", "240", "--min-bpm", "30", "--max-bpm", "300",
                    "--data-dir", dir.resolve("data").toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                long t0 = System.nanoTime();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50)).until(
                        () -> frames.size() >= 3 || !p.isAlive());
                assertThat(p.isAlive()).as("pulse exited early:%n%s", Files.readString(log)).isTrue();
                System.out.printf("java -jar (%s): 3 frames %d ms after launch%n", consensus,
                        (System.nanoTime() - t0) / 1_000_000);
                assertThat(frames).allSatisfy(f -> {
                    assertThat(f.leaderId()).isEqualTo("j1");
                    assertThat(f.term()).isPositive();
                    assertThat(f.beatIndex()).isNotNegative();
                });
                HttpResponse<String> leader = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + admin + "/leader")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(leader.statusCode()).isEqualTo(200);
                assertThat(leader.body()).contains("\"is_leader\":true", "\"node_id\":\"j1\"");
                // the pulse's own errors (a library's retry noise during its first election is not ours)
                assertThat(Files.readAllLines(log)).noneMatch(l -> l.contains("ERROR io.backbeat"));
            } finally {
                p.destroy(); // SIGTERM: the shutdown hook closes the node
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("pulse did not stop within 30 s of SIGTERM");
                }
            }
        }
    }
}
