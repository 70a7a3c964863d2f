package io.backbeat.pulse.ops;

import io.backbeat.api.ClusterId;
import io.backbeat.pulse.PulseMain;
import io.backbeat.pulse.config.PulseConfig;
import io.backbeat.testkit.NatsTestServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every metric the alert rules and the Grafana dashboard use is in a real pulse's {@code GET /metrics}:
 * one single-node pulse in this JVM (Ratis, a real nats-server), scraped once it leads and has
 * published and accepted frames.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsExistTest {
    private static final String CLUSTER = "ops-metrics";

    @TempDir
    Path dir;

    /** The sample names of a Prometheus text exposition (comment lines skipped). */
    static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        exposition.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).forEach(l -> {
            int end = 0;
            while (end < l.length() && l.charAt(end) != '{' && l.charAt(end) != ' ') {
                end++;
            }
            names.add(l.substring(0, end));
        });
        return names;
    }

    @Test
    void everyMetricTheRulesAndTheDashboardUseIsScraped() throws Exception {
        Set<String> used = OpsFiles.usedNames();
        assertThat(used).isNotEmpty();
        try (NatsTestServer nats = NatsTestServer.start(); Connection observer = Nats.connect(nats.url())) {
            AtomicInteger frames = new AtomicInteger();
            Dispatcher d = observer.createDispatcher(m -> frames.incrementAndGet());
            d.subscribe(ClusterId.beatSubject(CLUSTER));
            observer.flush(Duration.ofSeconds(5));
            PulseConfig cfg = PulseConfig.parse(new String[]{"--cluster", CLUSTER, "--node-id", "m1", "--bootstrap",
                    "--nats", nats.url(), "--admin-port", "0", "--bpm", "240", "--min-bpm", "30", "--max-bpm", "300",
                    "--data-dir", dir.resolve("data").toString()}, Map.of());
            try (PulseMain.Running pulse = PulseMain.start(cfg, new PrintStream(OutputStream.nullOutputStream()))) {
                long t0 = System.nanoTime();
                await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(50))
                        .until(() -> pulse.node().leader().isLeader() && frames.get() >= 6);
                System.out.printf("single-node pulse: leader and %d frames %d ms after start%n", frames.get(),
                        (System.nanoTime() - t0) / 1_000_000);
                System.gc(); // Micrometer registers jvm_gc_pause_seconds at the first GC it is told of
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                URI metrics = URI.create("http://127.0.0.1:" + pulse.admin().port() + "/metrics");
                // the frames this node accepted from itself (delivery latency, last frame) show within a phase
                Thread.sleep(500);
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                String body = r.body();
                Set<String> scraped = sampleNames(body);
                Set<String> missing = new TreeSet<>(used);
                missing.removeAll(scraped);
                System.out.printf("rules and dashboard use %d metric names; the scrape has %d; missing: %s%n",
                        used.size(), scraped.size(), missing);
                assertThat(missing).as("metric names used by deploy/prometheus/backbeat-alerts.yml or "
                        + "deploy/grafana/backbeat-dashboard.json that GET /metrics lacks (the scrape has %s)", scraped)
                        .isEmpty();
                // the rules aggregate by cluster and keep node: every pulse sample carries both
                assertThat(body.lines().filter(l -> l.startsWith("backbeat_is_leader{")))
                        .isNotEmpty().allMatch(l -> l.contains("cluster=\"" + CLUSTER + "\"") && l.contains("node=\"m1\""));
            }
        }
    }
}
