package io.backbeat.pulse.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backbeat.pulse.fault.Observer;
import io.backbeat.pulse.fault.PulseProcessCluster;
import io.backbeat.testkit.NatsTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The status page ({@code GET /} on the admin port) in a real headless Chromium (Debian {@code chromium},
 * installed by {@code scripts/ensure-tools.sh}), driven over the DevTools protocol, against three real
 * pulse processes: the page loads, its live beat advances, it shows the leader, every node's report
 * and, after the leader is SIGKILLed, the new leader and a beat that advances again. A screenshot goes
 * to {@code target/ops/status-page.png}.
 */
@Timeout(150)
class StatusPageBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private NatsTestServer nats;
    private PulseProcessCluster cluster;
    private Observer observer;
    private Process chromium;
    private WebSocket ws;

    @AfterEach
    void tearDown() throws Exception {
        if (ws != null) {
            ws.abort();
        }
        if (chromium != null) {
            chromium.descendants().forEach(ProcessHandle::destroyForcibly);
            chromium.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
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
    void thePageShowsTheLiveBeatTheNodesAndTheLeaderAfterAFailover() throws Exception {
        Path bin = Path.of("/usr/bin/chromium");
        assertThat(bin).as("chromium is missing: run scripts/ensure-tools.sh (Debian package 'chromium')").isExecutable();
        nats = NatsTestServer.start();
        Path base = Path.of("target", "ops", "page-" + Long.toHexString(System.nanoTime())).toAbsolutePath();
        Files.createDirectories(base);
        cluster = PulseProcessCluster.builder(nats.url(), base).cluster("page").nodes("s1", "s2", "s3").cgroups(false)
                .build();
        observer = Observer.connect(nats.url(), "page");
        cluster.startAll();
        assertThat(observer.awaitFrames(12, Duration.ofSeconds(60))).as("12 frames; logs in %s", base).isTrue();
        String leader = observer.currentLeader();
        String viewer = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
        String url = "http://127.0.0.1:" + cluster.node(viewer).adminPort() + "/";

        chromium = new ProcessBuilder(bin.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-port=0", "--window-size=1280,1100",
                "--user-data-dir=" + base.resolve("chromium"), url).redirectErrorStream(true).start();
        String devtools = devtoolsUrl(chromium, base.resolve("chromium.log"));
        ws = connect(devtools, url);

        awaitJs("document.readyState === 'complete' && document.getElementById('conn').textContent === 'live'"
                + " && /^[0-9]+$/.test(document.getElementById('beat').textContent)", Duration.ofSeconds(20));
        long beat1 = Long.parseLong(js("document.getElementById('beat').textContent"));
        Thread.sleep(1500);
        long beat2 = Long.parseLong(js("document.getElementById('beat').textContent"));
        assertThat(beat2).as("the beat shown advances (240 BPM: ~6 beats in 1.5 s)").isGreaterThan(beat1);
        awaitJs("document.getElementById('leader').textContent === '" + leader + "'", Duration.ofSeconds(5));
        awaitJs("document.querySelectorAll('#nodes tr').length === 3", Duration.ofSeconds(10));
        String nodes = js("document.getElementById('nodes').textContent");
        assertThat(nodes).contains("s1", "s2", "s3", "leader", "ready");
        Thread.sleep(1000);
        screenshot(base.resolve("status-page.png"));
        Files.copy(base.resolve("status-page.png"), Path.of("target", "ops", "status-page.png"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        cluster.kill(leader);
        long killed = System.nanoTime();
        awaitJs("(() => { const l = document.getElementById('leader').textContent; return l !== '" + leader
                + "' && l !== 'none known' && l !== '–'; })()", Duration.ofSeconds(15));
        double shownAfter = (System.nanoTime() - killed) / 1e6;
        String newLeader = js("document.getElementById('leader').textContent");
        assertThat(observer.awaitArrival(Duration.ofSeconds(10), a -> a.get(a.size() - 1).frame().leaderId().equals(newLeader)))
                .as("the leader the page shows (%s) is the one publishing", newLeader).isTrue();
        long beat3 = Long.parseLong(js("document.getElementById('beat').textContent"));
        Thread.sleep(1500);
        long beat4 = Long.parseLong(js("document.getElementById('beat').textContent"));
        assertThat(beat4).as("the beat advances after the failover").isGreaterThan(beat3);
        awaitJs("document.getElementById('events').textContent.includes('leader changed')", Duration.ofSeconds(5));
        System.out.printf(Locale.ROOT, "status page: %s killed; the page on %s showed %s as leader %.0f ms later; beats "
                + "%d -> %d before, %d -> %d after%n", leader, viewer, newLeader, shownAfter, beat1, beat2, beat3, beat4);
    }

    // ------------------------------------------------------------------ DevTools protocol, minimal

    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();

    private static String devtoolsUrl(Process p, Path log) throws Exception {
        CompletableFuture<String> found = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            Pattern ws = Pattern.compile("DevTools listening on (ws://\\S+)");
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                 var out = Files.newBufferedWriter(log)) {
                for (String line; (line = r.readLine()) != null; ) {
                    out.write(line);
                    out.newLine();
                    out.flush();
                    Matcher m = ws.matcher(line);
                    if (m.find()) {
                        found.complete(m.group(1));
                    }
                }
            } catch (Exception e) {
                found.completeExceptionally(e);
            }
            found.completeExceptionally(new IllegalStateException("chromium exited; see " + log));
        }, "chromium-log");
        reader.setDaemon(true);
        reader.start();
        return found.get(30, TimeUnit.SECONDS);
    }

    /** Attaches to the page showing {@code url} (through the browser's target list). */
    private WebSocket connect(String browserWs, String url) throws Exception {
        URI u = URI.create(browserWs);
        HttpClient http = HttpClient.newHttpClient();
        String list = "http://" + u.getHost() + ":" + u.getPort() + "/json/list";
        String pageWs = null;
        for (int i = 0; i < 50 && pageWs == null; i++) {
            JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(list)).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode t : targets) {
                if ("page".equals(t.path("type").asText()) && t.path("url").asText().startsWith(url)) {
                    pageWs = t.path("webSocketDebuggerUrl").asText();
                }
            }
            if (pageWs == null) {
                Thread.sleep(200);
            }
        }
        assertThat(pageWs).as("a page target for %s", url).isNotNull();
        StringBuilder buf = new StringBuilder();
        return http.newWebSocketBuilder().buildAsync(URI.create(pageWs), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                buf.append(data);
                if (last) {
                    try {
                        JsonNode msg = JSON.readTree(buf.toString());
                        CompletableFuture<JsonNode> f = msg.has("id") ? calls.remove(msg.get("id").asInt()) : null;
                        if (f != null) {
                            f.complete(msg);
                        }
                    } catch (Exception e) {
                        // an event we do not use
                    }
                    buf.setLength(0);
                }
                w.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
    }

    private JsonNode call(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        calls.put(id, f);
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", params);
        ws.sendText(JSON.writeValueAsString(msg), true).get(5, TimeUnit.SECONDS);
        return f.get(10, TimeUnit.SECONDS);
    }

    /** Evaluates {@code expression} in the page; its value as a string. */
    private String js(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", JSON.createObjectNode().put("expression", expression)
                .put("returnByValue", true));
        assertThat(r.at("/result/exceptionDetails").isMissingNode()).as("%s threw: %s", expression, r).isTrue();
        return r.at("/result/result/value").asText();
    }

    private void awaitJs(String condition, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String last = "";
        // the page may still be loading (no element yet): an exception counts as "not yet"
        String guarded = "(() => { try { return !!(" + condition + "); } catch (e) { return false; } })()";
        while (System.nanoTime() < end) {
            last = js(guarded);
            if (last.equals("true")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("page condition not met within " + timeout + ": " + condition + " (last " + last
                + "); page text: " + js("document.body.innerText"));
    }

    private void screenshot(Path to) throws Exception {
        JsonNode r = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
        Files.write(to, Base64.getDecoder().decode(r.at("/result/data").asText()));
    }
}
