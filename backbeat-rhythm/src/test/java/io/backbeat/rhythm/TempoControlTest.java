package io.backbeat.rhythm;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TempoControlTest {
    @Test
    void alertsFireOnTheGuidesThresholdsAndAreCounted() {
        TempoAlerts alerts = TempoAlerts.withDefaults();
        List<TempoAlerts.Alert> seen = new CopyOnWriteArrayList<>();
        alerts.onAlert(seen::add);
        assertThat(alerts.evaluate(new TempoSample(0.5, 0.01, 0.99, 0.5))).isEmpty();
        List<TempoAlerts.Alert> all = alerts.evaluate(new TempoSample(0.95, 0.06, 0.8, 0.95));
        assertThat(all).extracting(TempoAlerts.Alert::kind).containsExactly(TempoAlerts.Kind.NEAR_DEADLINE,
                TempoAlerts.Kind.DEADLINE_MISSES, TempoAlerts.Kind.HIGH_CPU);
        assertThat(all.get(1).level()).isEqualTo(TempoAlerts.Level.CRITICAL);
        assertThat(seen).hasSize(3);
        assertThat(alerts.count(TempoAlerts.Kind.DEADLINE_MISSES)).isEqualTo(1);
        TempoAlerts strict = new TempoAlerts(new TempoAlerts.Thresholds(0.5, 0.01, 0.5));
        assertThat(strict.evaluate(new TempoSample(0.6, 0.02, 0.9, 0.6))).hasSize(3);
    }

    @Test
    void controllerSlowsDownSpeedsUpAndClamps() {
        AdaptiveTempoController c = AdaptiveTempoController.builder(10, 130).build();
        assertThat(c.advise(120, new TempoSample(0.5, 0.03, 0.9, 0.5)).recommendedBpm()).isCloseTo(114, within(1e-9));
        assertThat(c.advise(120, new TempoSample(0.5, 0.0, 0.99, 0.5)).recommendedBpm()).isCloseTo(126, within(1e-9));
        assertThat(c.advise(128, new TempoSample(0.5, 0.0, 0.99, 0.5)).recommendedBpm()).isEqualTo(130); // max
        assertThat(c.advise(120, new TempoSample(0.5, 0.0, 0.99, 0.9)).changes()).isFalse(); // CPU too busy
        AdaptiveTempoController fast = AdaptiveTempoController.builder(1, 1000).adjustmentRate(0.10).build();
        assertThat(fast.advise(100, new TempoSample(0.5, 0.5, 0.1, 0.5)).recommendedBpm()).isCloseTo(90, within(1e-9));
    }

    @Test
    void requestsGoToThePulseOnlyWhenEnabledOncePerBarWithTheToken() throws Exception {
        List<String> bodies = new CopyOnWriteArrayList<>();
        List<String> auth = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/tempo", ex -> {
            bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            auth.add(ex.getRequestHeaders().getFirst("Authorization"));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            TempoSample slow = new TempoSample(0.5, 0.1, 0.5, 0.5);
            AdaptiveTempoController adviceOnly = AdaptiveTempoController.builder(10, 200).build();
            assertThat(adviceOnly.onDownbeat(1, 120, slow)).isZero();
            AdaptiveTempoController c = AdaptiveTempoController.builder(10, 200).enableRequests(base + "/", "tok").build();
            assertThat(c.onDownbeat(1, 120, slow)).isEqualTo(200);
            assertThat(c.onDownbeat(1, 120, slow)).isZero(); // once per bar
            assertThat(c.onDownbeat(2, 114, new TempoSample(0.5, 0.0, 0.9, 0.9))).isZero(); // no change advised
            assertThat(bodies).hasSize(1);
            assertThat(bodies.get(0)).contains("\"tempo_bpm\": 114.000000").contains("slow down");
            assertThat(auth).containsExactly("Bearer tok");
        } finally {
            server.stop(0);
        }
    }
}
