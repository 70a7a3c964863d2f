package io.backbeat.pulse.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backbeat.pulse.fault.Observer;
import io.backbeat.pulse.fault.PulseProcessCluster;
import io.backbeat.testkit.NatsTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Prometheus (Debian's {@code prometheus}, installed by {@code scripts/ensure-tools.sh})
 * scraping three real pulse processes every second with the shipped alert rules
 * ({@code deploy/prometheus/backbeat-alerts.yml}): all targets up and no alert firing on a healthy
 * cluster; after the leader is SIGKILLed, {@code BackbeatLeadershipChanged} fires, and the split-brain
 * and superseded-frame alerts do not.
 */
@Timeout(120)
class PrometheusAlertProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private NatsTestServer nats;
    private PulseProcessCluster cluster;
    private Observer observer;
    private Process prometheus;

    @AfterEach
    void tearDown() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                prometheus.destroyForcibly().waitFor();
            }
        }
        if (observer != null) {
            observer.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    @Test
    void aLeaderKillFiresTheLeadershipAlertInARealPrometheus() throws Exception {
        Path bin = Path.of("/usr/bin/prometheus");
        assertThat(bin).as("prometheus is missing: run scripts/ensure-tools.sh (Debian package 'prometheus')")
                .isExecutable();
        nats = NatsTestServer.start();
        Path base = Path.of("target", "ops", "prometheus-" + Long.toHexString(System.nanoTime())).toAbsolutePath();
        Files.createDirectories(base);
        cluster = PulseProcessCluster.builder(nats.url(), base).cluster("promit").nodes("m1", "m2", "m3")
                .cgroups(false).build();
        observer = Observer.connect(nats.url(), "promit");
        cluster.startAll();
        assertThat(observer.awaitFrames(12, Duration.ofSeconds(60))).as("12 frames; logs in %s", base).isTrue();

        int port = NatsTestServer.freePort();
        List<String> targets = new ArrayList<>();
        for (String id : cluster.ids()) {
            targets.add("'127.0.0.1:" + cluster.node(id).adminPort() + "'");
        }
        Path config = base.resolve("prometheus.yml");
        Files.writeString(config, String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  evaluation_interval: 1s",
                "rule_files:",
                "  - '" + OpsFiles.RULES + "'",
                "scrape_configs:",
                "  - job_name: backbeat-pulse",
                "    static_configs:",
                "      - targets: [" + String.join(", ", targets) + "]",
                ""));
        prometheus = new ProcessBuilder(bin.toString(), "--config.file=" + config, "--storage.tsdb.path=" + base.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + port).redirectErrorStream(true)
                .redirectOutput(base.resolve("prometheus.log").toFile()).start();
        String api = "http://127.0.0.1:" + port + "/api/v1/";

        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int up = 0;
        while (System.nanoTime() < deadline && up < 3) {
            Thread.sleep(500);
            JsonNode r = get(api + "query?query=" + enc("sum(up{job=\"backbeat-pulse\"})"));
            up = r == null || r.at("/data/result").isEmpty() ? 0 : (int) r.at("/data/result/0/value/1").asDouble();
        }
        assertThat(up).as("targets up in Prometheus; its log: %s", base.resolve("prometheus.log")).isEqualTo(3);
        Thread.sleep(3000); // a few evaluations on the healthy cluster
        Set<String> healthy = firing(api);
        System.out.printf(Locale.ROOT, "prometheus: healthy cluster, alerts firing: %s%n", healthy);
        assertThat(healthy).as("alerts firing on a healthy cluster").isEmpty();

        String leader = observer.currentLeader();
        long killedAt = System.nanoTime();
        cluster.kill(leader);
        Set<String> after = Set.of();
        while (System.nanoTime() - killedAt < Duration.ofSeconds(40).toNanos()
                && !after.contains("BackbeatLeadershipChanged")) {
            Thread.sleep(500);
            after = firing(api);
        }
        double seconds = (System.nanoTime() - killedAt) / 1e9;
        System.out.printf(Locale.ROOT, "prometheus: %s SIGKILLed; BackbeatLeadershipChanged firing after %.1f s; "
                + "firing: %s%n", leader, seconds, after);
        assertThat(after).as("alerts firing after the leader kill").contains("BackbeatLeadershipChanged")
                .doesNotContain("BackbeatTwoLeaders", "BackbeatSupersededFrames");
    }

    private Set<String> firing(String api) throws InterruptedException {
        JsonNode r = get(api + "alerts");
        Set<String> names = new TreeSet<>();
        if (r != null) {
            for (JsonNode a : r.at("/data/alerts")) {
                if ("firing".equals(a.path("state").asText())) {
                    names.add(a.at("/labels/alertname").asText());
                }
            }
        }
        return names;
    }

    private JsonNode get(String url) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String enc(String q) {
        return java.net.URLEncoder.encode(q, java.nio.charset.StandardCharsets.UTF_8);
    }
}
