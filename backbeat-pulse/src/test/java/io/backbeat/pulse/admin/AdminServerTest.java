package io.backbeat.pulse.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin HTTP adapter against a scripted {@link PulseAdmin}: status codes, JSON reasons, the
 * bearer token, and that bad input never reaches the node or answers 500.
 */
class AdminServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Double> requested = new ArrayList<>();
    private volatile String refusal;
    private volatile List<String> notReady = List.of();
    private AdminServer server;

    private final PulseAdmin node = new PulseAdmin() {
        @Override
        public TempoStatus tempo() {
            return new TempoStatus(120, null, null, true, "2026-11-29T12:00:00Z", "");
        }

        @Override
        public CompletableFuture<TempoChangeResult> requestTempo(double bpm, String justification) {
            synchronized (requested) {
                requested.add(bpm);
            }
            return CompletableFuture.completedFuture(refusal != null ? TempoChangeResult.refused(bpm, refusal)
                    : new TempoChangeResult(true, "", bpm, 64, "2026-11-29T12:00:32Z"));
        }

        @Override
        public DriftStatus drift() {
            return new DriftStatus(0.4, 0.001, "2026-11-29T12:00:00Z", false, true, 42, 0.5, 0.002, 0.1, 4000.0, "frames", 0);
        }

        @Override
        public LeaderStatus leader() {
            return new LeaderStatus("n1", true, "n1", "127.0.0.1:9001", 7, 3, Map.of("beats_published", 10));
        }

        @Override
        public List<BeatStatus> recentStatus() {
            return List.of(new BeatStatus(5, 3, 1, 0, 0));
        }

        @Override
        public List<String> notReadyReasons() {
            return notReady;
        }
    };

    @BeforeEach
    void start() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Counter.builder("backbeat.beats").register(registry).increment();
        server = new AdminServer(new java.net.InetSocketAddress("127.0.0.1", 0), node, registry, "s3cret");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(java.time.Duration.ofSeconds(10));
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        return JSON.readTree(r.body());
    }

    @Test
    void getsAnswerSnakeCaseJson() throws Exception {
        JsonNode leader = json(send("GET", "/leader", null, null));
        assertThat(leader.get("term").asLong()).isEqualTo(7);
        assertThat(leader.get("is_leader").asBoolean()).isTrue();
        assertThat(leader.get("cluster_size").asInt()).isEqualTo(3);
        JsonNode drift = json(send("GET", "/drift", null, null));
        for (String field : List.of("timer_drift_percent", "hlc_drift_seconds", "last_sync_time", "degradation_mode",
                "within_limits")) {
            assertThat(drift.has(field)).as(field).isTrue();
        }
        assertThat(json(send("GET", "/tempo", null, null)).get("current_bpm").asDouble()).isEqualTo(120);
        assertThat(json(send("GET", "/status", null, null)).get("recent_beats").get(0).get("completed").asLong())
                .isEqualTo(3);
        assertThat(send("GET", "/live", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/ready", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/health", null, null).statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = send("GET", "/metrics", null, null);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("backbeat_beats_total");
    }

    @Test
    void notReadyAnswers503WithTheReasons() throws Exception {
        notReady = List.of("NATS DISCONNECTED");
        HttpResponse<String> ready = send("GET", "/ready", null, null);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(json(ready).get("reasons").get(0).asText()).isEqualTo("NATS DISCONNECTED");
        HttpResponse<String> health = send("GET", "/health", null, null);
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(json(health).get("status").asText()).isEqualTo("degraded");
    }

    @Test
    void anAcceptedChangeAnswers200AndARefusedOne422WithTheReason() throws Exception {
        HttpResponse<String> ok = send("POST", "/tempo", "{\"tempo_bpm\": 126, \"justification\": \"load\"}", "s3cret");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(json(ok).get("at_beat_index").asLong()).isEqualTo(64);
        refusal = "a 20.0% change exceeds the 10% limit";
        HttpResponse<String> no = send("POST", "/tempo", "{\"tempo_bpm\": 144}", "s3cret");
        assertThat(no.statusCode()).isEqualTo(422);
        assertThat(json(no).get("reason").asText()).isEqualTo(refusal);
    }

    @Test
    void badRequestsAreRefusedWithAReasonAndNeverReachTheNode() throws Exception {
        record Case(String method, String path, String body, String token, int status) {
        }
        List<Case> cases = List.of(
                new Case("POST", "/tempo", "{\"tempo_bpm\": 126}", null, 401),
                new Case("POST", "/tempo", "{\"tempo_bpm\": 126}", "wrong", 401),
                new Case("POST", "/tempo", "not json", "s3cret", 400),
                new Case("POST", "/tempo", "", "s3cret", 400),
                new Case("POST", "/tempo", "[126]", "s3cret", 400),
                new Case("POST", "/tempo", "{\"tempo_bpm\": NaN}", "s3cret", 400),
                new Case("POST", "/tempo", "{\"tempo_bpm\": \"fast\"}", "s3cret", 400),
                new Case("POST", "/tempo", "{\"tempo_bpm\": -12}", "s3cret", 400),
                new Case("POST", "/tempo", "{\"tempo_bpm\": 1e400}", "s3cret", 400),
                new Case("POST", "/tempo", "{\"tempo_bpm\": 126, \"justification\": 5}", "s3cret", 400),
                new Case("POST", "/tempo", "{\"tempo_bpm\": 126} trailing", "s3cret", 400),
                new Case("POST", "/tempo", "{\"tempo_bpm\": 126}{\"tempo_bpm\": 200}", "s3cret", 400),
                new Case("POST", "/tempo", "{\"tempo_bpm\": 126, \"tempo_bpm\": 600}", "s3cret", 400),
                new Case("POST", "/tempo", "{\"tempo_bpm\": " + " ".repeat(70_000) + "126}", "s3cret", 413),
                new Case("DELETE", "/tempo", null, "s3cret", 405),
                new Case("POST", "/leader", "{}", "s3cret", 405),
                new Case("PUT", "/metrics", "x", "s3cret", 405),
                new Case("GET", "/nope", null, null, 404));
        for (Case c : cases) {
            HttpResponse<String> r = send(c.method(), c.path(), c.body(), c.token());
            assertThat(r.statusCode()).as("%s %s %s", c.method(), c.path(), c.body() == null ? "" :
                    c.body().substring(0, Math.min(40, c.body().length()))).isEqualTo(c.status());
            JsonNode b = json(r);
            assertThat(b.get("reason").asText()).as("%s %s", c.method(), c.path()).isNotBlank();
        }
        assertThat(requested).as("no bad request reached the node").isEmpty();
        assertThat(send("POST", "/tempo", "{\"tempo_bpm\": 126}", null).headers().firstValue("WWW-Authenticate"))
                .hasValue("Bearer");
        assertThat(send("DELETE", "/tempo", null, null).headers().firstValue("Allow")).hasValue("GET, POST");
    }

    @Test
    void aCrossOriginPlainTextPostCannotChangeTheTempoAndTheAuthSchemeIsCaseInsensitive() throws Exception {
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")) {
            HttpResponse<String> r = send(request("/tempo").header("Content-Type", type)
                    .header("Authorization", "Bearer s3cret").header("Origin", "http://evil.example")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"tempo_bpm\": 126}")));
            assertThat(r.statusCode()).as(type).isEqualTo(415);
            assertThat(json(r).get("reason").asText()).contains("application/json");
        }
        assertThat(requested).isEmpty();
        HttpResponse<String> lower = send(request("/tempo").header("Content-Type", "application/json; charset=utf-8")
                .header("Authorization", "bearer s3cret").POST(HttpRequest.BodyPublishers.ofString("{\"tempo_bpm\": 126}")));
        assertThat(lower.statusCode()).isEqualTo(200);
    }

    @Test
    void headIsAnsweredWhereGetIs() throws Exception {
        for (String path : List.of("/live", "/ready", "/health", "/leader", "/metrics", "/tempo")) {
            HttpResponse<String> r = send(request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.body()).as(path).isEmpty();
        }
    }

    @Test
    void protectedReadsNeedTheToken() throws Exception {
        server.close();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        server = new AdminServer(new java.net.InetSocketAddress("127.0.0.1", 0), node, registry, "s3cret", true);
        assertThat(send("GET", "/metrics", null, null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/status", null, null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/metrics", null, "s3cret").statusCode()).isEqualTo(200);
        assertThat(send("GET", "/live", null, null).statusCode()).as("probes stay open").isEqualTo(200);
    }

    /** 50 connections that send two bytes and then nothing do not freeze the server: /live answers at once. */
    @Test
    void slowClientsCannotBlockLive() throws Exception {
        List<java.net.Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                java.net.Socket s = new java.net.Socket("127.0.0.1", server.port());
                s.getOutputStream().write("GE".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                slow.add(s);
            }
            Thread.sleep(200);
            long t0 = System.nanoTime();
            HttpResponse<String> live = send(request("/live").timeout(java.time.Duration.ofSeconds(5)).GET());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("admin: /live answered in %d ms with 50 slow connections open%n", ms);
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(ms).as("ms for /live with 50 slow connections (goal well under 1 s)").isLessThan(1000);
            // the slow ones are cut after the read timeout
            Thread.sleep((AdminServer.MAX_REQUEST_SECONDS + 2) * 1000L);
            int closed = 0;
            for (java.net.Socket s : slow) {
                s.setSoTimeout(2000);
                try {
                    closed += s.getInputStream().read() == -1 ? 1 : 0;
                } catch (java.io.IOException e) {
                    closed++;
                }
            }
            assertThat(closed).as("slow connections closed by the server").isEqualTo(50);
        } finally {
            for (java.net.Socket s : slow) {
                s.close();
            }
        }
    }

    /**
     * Fuzz over raw sockets (fixed seed): 2,000 mutated requests. No answer is a 5xx, nothing bad
     * reaches the node, and /live still answers at once.
     */
    @Test
    void fuzzedRawRequestsNeverAnswer500() throws Exception {
        java.util.Random rnd = new java.util.Random(11);
        List<String> seeds = List.of(
                "POST /tempo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 18\r\n\r\n{\"tempo_bpm\": 126}",
                "GET /leader HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();
        for (int i = 0; i < 2000; i++) {
            byte[] b = seeds.get(rnd.nextInt(seeds.size())).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            int edits = 1 + rnd.nextInt(4);
            for (int e = 0; e < edits; e++) {
                b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            }
            try (java.net.Socket sock = new java.net.Socket("127.0.0.1", server.port())) {
                sock.setSoTimeout(300);
                sock.getOutputStream().write(b);
                sock.shutdownOutput();
                byte[] head = sock.getInputStream().readNBytes(12);
                int status = head.length >= 12 && new String(head, 0, 5, java.nio.charset.StandardCharsets.US_ASCII)
                        .equals("HTTP/") ? Integer.parseInt(new String(head, 9, 3, java.nio.charset.StandardCharsets.US_ASCII)) : -1;
                statuses.merge(status, 1, Integer::sum);
                assertThat(status).as("case %d: %s", i, new String(b, java.nio.charset.StandardCharsets.ISO_8859_1))
                        .isLessThan(500);
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                statuses.merge(-2, 1, Integer::sum); // no answer or reset: the server refused the bytes
            }
        }
        System.out.println("admin fuzz: status -> count (-1 not HTTP, -2 no answer): " + statuses);
        long t0 = System.nanoTime();
        assertThat(send("GET", "/live", null, null).statusCode()).isEqualTo(200);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1000);
        assertThat(requested).allMatch(bpm -> bpm > 0 && Double.isFinite(bpm));
    }
}
